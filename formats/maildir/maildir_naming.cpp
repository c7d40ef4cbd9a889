#include "formats/maildir/maildir_naming.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/ascii.hpp"
#include "core/mutf7.hpp"
#include "wrap/sha256.hpp"

namespace mailferry::maildir {
namespace {

void escape_level(std::string& out, std::string_view level) {
    // A level of raw 8-bit bytes (a server with UTF8=ACCEPT) is stored in
    // modified UTF-7, as Dovecot would name it.
    bool eight_bit = false;
    for (char c : level) eight_bit |= static_cast<unsigned char>(c) >= 0x80;
    std::string encoded = eight_bit ? mutf7_encode(level) : std::string(level);
    if (encoded.empty()) {
        out += "\\00";  // an empty level would make "." or "..": never a path of its own
        return;
    }
    for (char c : encoded) {
        auto uc = static_cast<unsigned char>(c);
        if (c == '.' || c == '/' || c == '\\' || c == '~' || uc < 0x20 || uc == 0x7F) {
            char buf[4];
            std::snprintf(buf, sizeof buf, "\\%02x", uc);
            out += buf;
        } else {
            out += c;
        }
    }
}

using ascii::hex_value;

template <typename T>
std::optional<T> to_number(std::string_view s) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

std::vector<std::string> split_levels(std::string_view raw, char delimiter) {
    std::vector<std::string> levels;
    if (delimiter == '\0') {
        levels.emplace_back(raw);
        return levels;
    }
    size_t start = 0;
    for (;;) {
        size_t pos = raw.find(delimiter, start);
        levels.emplace_back(raw.substr(start, pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return levels;
}

std::string folder_directory(const std::vector<std::string>& levels) {
    if (levels.size() == 1 && levels[0].size() == 5) {
        std::string upper;
        for (char c : levels[0]) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
        if (upper == "INBOX") return "";
    }
    std::string out;
    for (const auto& level : levels) {
        out += '.';
        escape_level(out, level);
    }
    return out;
}

std::string fit_directory_name(const std::string& dir, size_t max_bytes) {
    if (dir.size() <= max_bytes) return dir;
    const std::string tail = "~" + wrap::sha256_hex(dir).substr(0, 16);
    size_t cut = max_bytes > tail.size() ? max_bytes - tail.size() : 0;
    // Not inside "\xx" (a '\\' in a Maildir++ name always starts one)...
    for (size_t back = 1; back <= 2 && back <= cut; ++back) {
        if (dir[cut - back] == '\\') {
            cut -= back;
            break;
        }
    }
    // ...nor inside "&...-", which would leave the rest undecodable.
    size_t amp = cut ? dir.rfind('&', cut - 1) : std::string::npos;
    if (amp != std::string::npos && dir.find('-', amp) >= cut) cut = amp;
    return dir.substr(0, std::max<size_t>(cut, 1)) + tail;  // keeps the leading '.'
}

std::optional<std::vector<std::string>> directory_levels(std::string_view dir) {
    if (dir.size() < 2 || dir[0] != '.' || dir == "..") return std::nullopt;
    std::vector<std::string> levels;
    for (std::string_view level : split_levels(dir.substr(1), '.')) {
        if (level == "\\00") {
            levels.emplace_back();
            continue;
        }
        std::string out;
        for (size_t i = 0; i < level.size(); ++i) {
            if (level[i] == '\\' && i + 2 < level.size()) {
                int hi = hex_value(level[i + 1]), lo = hex_value(level[i + 2]);
                if (hi >= 0 && lo >= 0) {
                    out += static_cast<char>(hi * 16 + lo);
                    i += 2;
                    continue;
                }
            }
            out += level[i];
        }
        levels.push_back(std::move(out));
    }
    return levels;
}

std::string level_from_fs_name(std::string_view name) {
    return mutf7_decode(name) ? std::string(name) : mutf7_encode(name);
}

std::string raw_name_of(const std::vector<std::string>& levels) {
    std::string out;
    for (size_t i = 0; i < levels.size(); ++i) {
        if (i) out += '/';
        for (char c : levels[i]) {
            if (c == '/') out += "\\2f";
            else out += c;
        }
    }
    return out;
}

std::string display_name_of(const std::vector<std::string>& levels) {
    std::string out;
    for (size_t i = 0; i < levels.size(); ++i) {
        if (i) out += '/';
        auto decoded = mutf7_decode(levels[i]);
        out += decoded ? *decoded : levels[i];
    }
    return out;
}

std::string imap_base_name(int64_t received, uint32_t uidvalidity, uint32_t uid, uint64_t size) {
    return std::to_string(received) + ".U" + std::to_string(uidvalidity) + "_" +
           std::to_string(uid) + ".mailferry,S=" + std::to_string(size);
}

std::string file_name(std::string_view base, const Flags& flags) {
    return std::string(base) + ":2," + flags.maildir_letters();
}

ParsedFileName parse_file_name(std::string_view name) {
    ParsedFileName p;
    size_t info = name.rfind(":2,");
    if (info == std::string_view::npos) info = name.rfind("!2,");
    p.base = std::string(name.substr(0, info));
    if (info != std::string_view::npos) p.letters = std::string(name.substr(info + 3));

    std::string_view base = p.base;
    if (size_t s = base.find(",S="); s != std::string_view::npos) {
        std::string_view rest = base.substr(s + 3);
        p.size = to_number<uint64_t>(rest.substr(0, rest.find(',')));
    }
    // <received>.U<uidvalidity>_<uid>.mailferry,...
    size_t u = base.find(".U");
    size_t tail = base.find(".mailferry");
    if (u != std::string_view::npos && tail != std::string_view::npos && u < tail) {
        std::string_view ids = base.substr(u + 2, tail - u - 2);
        size_t us = ids.find('_');
        if (us != std::string_view::npos) {
            p.uidvalidity = to_number<uint32_t>(ids.substr(0, us));
            p.uid = to_number<uint32_t>(ids.substr(us + 1));
        }
    }
    return p;
}

}  // namespace mailferry::maildir
