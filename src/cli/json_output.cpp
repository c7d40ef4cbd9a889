#include "cli/json_output.hpp"

namespace mailferry::cli {

std::string json_text(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mailferry::cli
