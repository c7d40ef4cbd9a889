#include "formats/eml/eml_naming.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "mailferry/base64.hpp"
#include "mailferry/clock.hpp"

namespace mailferry::eml {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::string decode_q(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '_') {
            out += ' ';
        } else if (text[i] == '=' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// One encoded word "=?charset?B|Q?text?=" starting at s[0], or nullopt. The
// charset is ignored: the slug keeps ASCII only, which every charset mail
// uses (ISO-8859-x, UTF-8, windows-125x, ISO-2022-JP) writes as ASCII.
std::optional<std::pair<std::string, size_t>> encoded_word(std::string_view s) {
    if (s.substr(0, 2) != "=?") return std::nullopt;
    size_t q1 = s.find('?', 2);
    if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
    char enc = static_cast<char>(s[q1 + 1] | 0x20);
    size_t end = s.find("?=", q1 + 3);
    if (end == std::string_view::npos || (enc != 'b' && enc != 'q')) return std::nullopt;
    std::string_view text = s.substr(q1 + 3, end - q1 - 3);
    std::string decoded;
    if (enc == 'q') {
        decoded = decode_q(text);
    } else if (auto b = base64_decode(text)) {
        decoded = std::move(*b);
    }
    return std::pair{std::move(decoded), end + 2};
}

std::string decode_encoded_words(std::string_view s) {
    std::string out;
    size_t i = 0;
    while (i < s.size()) {
        if (auto word = encoded_word(s.substr(i))) {
            out += word->first;
            i += word->second;
        } else {
            out += s[i++];
        }
    }
    return out;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

}  // namespace

std::string subject_slug(std::string_view raw_subject, size_t max_length) {
    std::string text = decode_encoded_words(raw_subject);
    std::string slug;
    for (char c : text) {
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum) slug += ascii_lower(c);
        else if (!slug.empty() && slug.back() != '-') slug += '-';
    }
    if (slug.size() > max_length) {
        // Cut at a word boundary when one is in the last quarter, else mid-word.
        size_t dash = slug.rfind('-', max_length);
        slug.resize(dash != std::string::npos && dash >= max_length * 3 / 4 ? dash : max_length);
    }
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    return slug.empty() ? "no-subject" : slug;
}

std::string file_name(int64_t received, uint32_t uid, std::string_view raw_subject) {
    // "2024-03-01T12:00:00Z" -> "20240301T120000Z": ':' is not allowed on NTFS and FAT.
    std::string date;
    for (char c : iso8601_utc(received))
        if (c != '-' && c != ':') date += c;
    std::string prefix = date + "-" + std::to_string(uid) + "-";
    // Room for the slug, a uniqueness suffix ("-99999") and ".eml" within kMaxNameLength.
    size_t room = kMaxNameLength - prefix.size() - 10;
    return prefix + subject_slug(raw_subject, std::min(kMaxSlugLength, room)) + ".eml";
}

std::string UniqueNames::claim(const std::string& name) {
    std::string candidate = name;
    if (taken(candidate)) {
        std::string stem = name, ext;
        if (size_t dot = name.rfind('.'); dot != std::string::npos && dot > 0) {
            stem = name.substr(0, dot);
            ext = name.substr(dot);
        }
        for (int n = 2; taken(candidate); ++n) candidate = stem + "-" + std::to_string(n) + ext;
    }
    lower_.insert(lower(candidate));
    return candidate;
}

void UniqueNames::reserve(const std::string& name) { lower_.insert(lower(name)); }

bool UniqueNames::taken(const std::string& name) const { return lower_.count(lower(name)) != 0; }

}  // namespace mailferry::eml
