// Machine-readable output (--json): the one place JSON becomes text.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace mailferry::cli {

// j as JSON text (indent -1: one line). Strings taken from mail or from the
// file system (a subject, a folder, a path) need not be UTF-8; nlohmann's
// dump() throws on such bytes, which ended a finished run in "internal
// error". Here each invalid byte becomes U+FFFD: the output stays valid JSON.
std::string json_text(const nlohmann::json& j, int indent = -1);

}  // namespace mailferry::cli
