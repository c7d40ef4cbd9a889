#include "formats/mbox/takeout_labels.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"
#include "mime/rfc2047.hpp"

namespace mailferry::mbox {
namespace {

using ascii::iequals;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits at commas outside double quotes; quotes and their backslash escapes are undone.
std::vector<std::string> split_labels(std::string_view value) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, was_quoted = false;
    auto flush = [&] {
        std::string label = was_quoted ? cur : std::string(trim(cur));
        if (!was_quoted) label = mime::decode_header_text(label);
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
