#include "fuzz_targets.hpp"

namespace mailferry::fuzz {

const std::vector<Target>& all_targets() {
    static const std::vector<Target> targets = {
        {"mbox_reader", mbox_reader_one}, {"maildir_name", maildir_name_one}, {"mime_text", mime_text_one},
        {"mutf7", mutf7_one},             {"server_reply", server_reply_one}, {"folder_map", folder_map_one},
        {"date_parse", date_parse_one},   {"flags", flags_one},               {"append_command", append_command_one},
        {"long_line_repair", long_line_repair_one},
    };
    return targets;
}

}  // namespace mailferry::fuzz
