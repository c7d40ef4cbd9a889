#include "formats/mbox/takeout_labels.hpp"

#include <algorithm>
#include <cctype>

#include "mailferry/base64.hpp"

namespace mailferry::mbox {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One RFC 2047 encoded word in UTF-8 (or US-ASCII); anything else stays as it is.
std::string decode_word(std::string_view s) {
    if (s.size() < 8 || s.substr(0, 2) != "=?" || s.substr(s.size() - 2) != "?=") return std::string(s);
    std::string_view inner = s.substr(2, s.size() - 4);
    size_t q1 = inner.find('?');
    if (q1 == std::string_view::npos || q1 + 2 >= inner.size() || inner[q1 + 2] != '?') return std::string(s);
    std::string_view charset = inner.substr(0, q1);
    if (size_t star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);  // RFC 2231 language
    if (!iequals(charset, "utf-8") && !iequals(charset, "us-ascii")) return std::string(s);
    char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(inner[q1 + 1])));
    std::string_view text = inner.substr(q1 + 3);
    if (enc == 'B') {
        auto d = base64_decode(text);
        return d ? *d : std::string(s);
    }
    if (enc != 'Q') return std::string(s);
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '_') {
            out += ' ';
        } else if (text[i] == '=' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
            out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// Splits at commas outside double quotes; quotes and their backslash escapes are undone.
std::vector<std::string> split_labels(std::string_view value) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, was_quoted = false;
    auto flush = [&] {
        std::string label = was_quoted ? cur : std::string(trim(cur));
        if (!was_quoted) label = decode_word(label);
        if (!label.empty()) out.push_back(std::move(label));
        cur.clear();
        was_quoted = false;
    };
    for (size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (quoted) {
            if (c == '\\' && i + 1 < value.size()) cur += value[++i];
            else if (c == '"') quoted = false;
            else cur += c;
        } else if (c == '"' && trim(cur).empty()) {
            cur.clear();
            quoted = was_quoted = true;
        } else if (c == ',') {
            flush();
        } else if (!(was_quoted && (c == ' ' || c == '\t'))) {
            cur += c;
        }
    }
    flush();
    return out;
}

}  // namespace

TakeoutLabels parse_takeout_labels(std::string_view value) {
    TakeoutLabels t;
    t.labels = split_labels(value);
    for (const auto& label : t.labels) {
        if (iequals(label, "Opened")) t.opened = true;
        else if (iequals(label, "Unread")) t.unread = true;
        else if (iequals(label, "Starred")) t.starred = true;
        else if (iequals(label, "Important") || (label.size() > 9 && iequals(label.substr(0, 9), "Category "))) continue;
        else {
            std::string folder = iequals(label, "Inbox") ? "INBOX" : label;
            if (std::find(t.folders.begin(), t.folders.end(), folder) == t.folders.end()) t.folders.push_back(folder);
        }
    }
    return t;
}

std::string takeout_label_role(std::string_view folder) {
    struct Row {
        const char* label;
        const char* role;
    };
    static const Row table[] = {{"Sent", "\\Sent"},   {"Drafts", "\\Drafts"},   {"Spam", "\\Junk"},
                                {"Trash", "\\Trash"}, {"Archived", "\\Archive"}};
    for (const auto& r : table)
        if (iequals(folder, r.label)) return r.role;
    return "";
}

bool is_takeout_sender(std::string_view sender) {
    const size_t at = sender.find('@');
    if (at == std::string_view::npos || at < 10 || at > 20 || sender.substr(at) != "@xxx") return false;
    for (size_t i = 0; i < at; ++i)
        if (sender[i] < '0' || sender[i] > '9') return false;
    return true;
}

}  // namespace mailferry::mbox
