#include "pipeline/export_paths.hpp"

#include <cstdint>

namespace mailferry::pipeline {
namespace {

std::string ascii_lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return s;
}

// Length of the valid UTF-8 sequence at s[i] and its code point, or 0.
size_t utf8_sequence(std::string_view s, size_t i, uint32_t& cp) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    size_t len = 0;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    if (len == 0 || i + len > s.size()) return 0;
    cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

// C1 controls, and the bidi controls that make a name read differently from what it is.
bool unsafe_code_point(uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

bool unsafe_ascii(char c) {
    auto uc = static_cast<unsigned char>(c);
    if (uc < 0x20 || uc == 0x7F) return true;
    for (char r : std::string_view("/\\<>:\"|?*"))
        if (c == r) return true;
    return false;
}

bool windows_device_name(const std::string& component) {
    std::string stem = ascii_lower(component.substr(0, component.find('.')));
    while (!stem.empty() && stem.back() == ' ') stem.pop_back();
    if (stem == "con" || stem == "prn" || stem == "aux" || stem == "nul") return true;
    return stem.size() == 4 && (stem.starts_with("com") || stem.starts_with("lpt")) && stem[3] >= '1' &&
           stem[3] <= '9';
}

}  // namespace

std::string safe_component(std::string_view level) {
    std::string out;
    for (size_t i = 0; i < level.size();) {
        auto uc = static_cast<unsigned char>(level[i]);
        size_t len = 1;
        if (uc < 0x80) {
            out += unsafe_ascii(level[i]) ? '_' : level[i];
        } else {
            uint32_t cp = 0;
            len = utf8_sequence(level, i, cp);
            if (len == 0 || unsafe_code_point(cp)) {
                out += '_';
                len = len == 0 ? 1 : len;
            } else if (out.size() + len <= kMaxComponentBytes) {
                out.append(level.substr(i, len));
            }
        }
        i += len;
        if (out.size() >= kMaxComponentBytes) break;
    }
    if (out.empty()) return "_";
    if (out[0] == '.') out[0] = '_';
    if (out.back() == '.' || out.back() == ' ') out.back() = '_';
    if (windows_device_name(out)) out.insert(0, "_");
    return out;
}

std::string ExportPaths::unique(const std::string& parent, const std::string& base, std::string_view suffix) {
    auto join = [&](const std::string& name) { return parent.empty() ? name : parent + "/" + name; };
    std::string rel = join(base + std::string(suffix));
    for (int n = 2; taken(rel); ++n) rel = join(base + " (" + std::to_string(n) + ")" + std::string(suffix));
    taken_.insert(ascii_lower(rel));
    return rel;
}

std::string ExportPaths::folder_directory(const std::vector<std::string>& levels) {
    if (levels.empty()) return "";
    if (auto it = dirs_.find(levels); it != dirs_.end()) return it->second;
    std::vector<std::string> parent_levels(levels.begin(), levels.end() - 1);
    std::string parent = folder_directory(parent_levels);
    std::string rel = unique(parent, safe_component(levels.back()), "");
    dirs_[levels] = rel;
    return rel;
}

std::string ExportPaths::folder_file(const std::vector<std::string>& levels, std::string_view suffix) {
    if (levels.empty()) return unique("", "_", suffix);
    std::vector<std::string> parent_levels(levels.begin(), levels.end() - 1);
    std::string parent = folder_directory(parent_levels);
    return unique(parent, safe_component(levels.back()), suffix);
}

bool ExportPaths::taken(const std::string& rel) const { return taken_.count(ascii_lower(rel)) != 0; }

}  // namespace mailferry::pipeline
