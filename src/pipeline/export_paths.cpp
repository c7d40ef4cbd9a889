#include "pipeline/export_paths.hpp"

#include <algorithm>
#include <cstdint>
#include <cerrno>
#include <filesystem>
#include <sys/stat.h>

#include "core/ascii.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::pipeline {
namespace {

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
    std::string stem = ascii::lower(component.substr(0, component.find('.')));
    while (!stem.empty() && stem.back() == ' ') stem.pop_back();
    if (stem == "con" || stem == "prn" || stem == "aux" || stem == "nul") return true;
    return stem.size() == 4 && (stem.starts_with("com") || stem.starts_with("lpt")) && stem[3] >= '1' &&
           stem[3] <= '9';
}

}  // namespace

namespace {

// Every character of name that may stand in a file name, the others as '_',
// up to max bytes (never cutting a character).
std::string safe_characters(std::string_view name, size_t max) {
    std::string out;
    for (size_t i = 0; i < name.size() && out.size() < max;) {
        auto uc = static_cast<unsigned char>(name[i]);
        size_t len = 1;
        if (uc < 0x80) {
            out += unsafe_ascii(name[i]) ? '_' : name[i];
        } else {
            uint32_t cp = 0;
            len = utf8_sequence(name, i, cp);
            if (len == 0 || unsafe_code_point(cp)) {
                out += '_';
                len = len == 0 ? 1 : len;
            } else if (out.size() + len <= max) {
                out.append(name.substr(i, len));
            } else {
                break;
            }
        }
        i += len;
    }
    return out;
}

// No empty, hidden, ".", ".." or Windows device name; no '.' or ' ' at the end.
std::string finish_component(std::string out) {
    if (out.empty()) return "_";
    if (out[0] == '.') out[0] = '_';
    if (out.back() == '.' || out.back() == ' ') out.back() = '_';
    if (windows_device_name(out)) out.insert(0, "_");
    return out;
}

// Start of the extension of a sanitised name ("report.pdf" -> 6), or npos: a
// short run of letters and digits after the last '.', which is not the first byte.
size_t extension_start(const std::string& name) {
    constexpr size_t kMaxExtensionBytes = 16;
    size_t dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0 || name.size() - dot > kMaxExtensionBytes || dot + 1 == name.size())
        return std::string::npos;
    for (size_t i = dot + 1; i < name.size(); ++i) {
        char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'))
            return std::string::npos;
    }
    return dot;
}

// The longest prefix of valid UTF-8 s that is at most max bytes and ends between characters.
size_t character_cut(const std::string& s, size_t max) {
    if (s.size() <= max) return s.size();
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return cut;
}

}  // namespace

std::string safe_component(std::string_view level) {
    return finish_component(safe_characters(level, kMaxComponentBytes));
}

std::string safe_file_name(std::string_view name) {
    std::string all = safe_characters(name, std::string::npos);
    if (all.size() <= kMaxComponentBytes) return finish_component(std::move(all));
    size_t dot = extension_start(all);
    std::string extension = dot == std::string::npos ? "" : all.substr(dot);
    std::string stem = all.substr(0, dot == std::string::npos ? all.size() : dot);
    stem.resize(character_cut(stem, kMaxComponentBytes - extension.size()));
    return finish_component(stem + extension);
}

std::string ExportPaths::unique(const std::string& parent, const std::string& base, std::string_view suffix) {
    auto join = [&](const std::string& name) { return parent.empty() ? name : parent + "/" + name; };
    std::string rel = join(base + std::string(suffix));
    for (int n = 2; taken(rel); ++n) rel = join(base + " (" + std::to_string(n) + ")" + std::string(suffix));
    taken_.insert(ascii::lower(rel));
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

bool ExportPaths::taken(const std::string& rel) const { return taken_.count(ascii::lower(rel)) != 0; }

namespace {

bool inside(const std::filesystem::path& inner, const std::filesystem::path& outer) {
    auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
    return o == outer.end();
}

}  // namespace

Status check_output_directory(const std::string& cache_dir, const std::string& dir, std::string_view what) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path c = fs::weakly_canonical(cache_dir, ec);
    fs::path d = ec ? fs::path() : fs::weakly_canonical(dir, ec);
    if (ec) return make_error(ErrorKind::io, Radius::fatal, "cannot resolve " + dir + ": " + ec.message());
    if (inside(d, c) || inside(c, d))
        return make_error(ErrorKind::usage, Radius::fatal,
                          std::string(what) + " " + dir + " and the cache " + cache_dir +
                              " must not contain each other: choose a directory outside the cache");
    auto st = fs::status(d, ec);
    if (!ec && st.type() != fs::file_type::not_found && st.type() != fs::file_type::directory)
        return make_error(ErrorKind::usage, Radius::fatal, dir + " exists and is not a directory");
    return {};
}

namespace {

// Another user who may create entries in the directory can plant a symbolic
// link where a message file or folder is about to be written (a shared /tmp
// above all): such a directory is refused, not written into.
Status check_private(const std::string& dir, unsigned mode, std::vector<std::string>& warnings) {
    if (mode & (S_IWGRP | S_IWOTH))
        return make_error(ErrorKind::usage, Radius::fatal,
                          dir + " can be written by other users: export into a directory only you can write "
                                "(for example a new one inside it)");
    if (mode & (S_IRWXG | S_IRWXO)) warnings.push_back(dir + " can be read by other users: the mail written there too");
    return {};
}

}  // namespace

Status make_output_directory(const std::string& dir, std::vector<std::string>& warnings) {
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) return check_private(dir, st.st_mode, warnings);
    return wrap::make_directories(dir, 0700);
}

Result<wrap::DirectoryHandle> open_output_directory(const std::string& dir, std::vector<std::string>& warnings) {
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0 && errno == ENOENT) MF_TRY(wrap::make_directories(dir, 0700));
    auto handle = wrap::DirectoryHandle::open(dir);
    if (!handle) return handle.error();
    if (::fstat(handle->fd(), &st) != 0) return wrap::errno_error("cannot stat", dir);
    MF_TRY(check_private(dir, st.st_mode, warnings));
    return handle;
}

}  // namespace mailferry::pipeline
