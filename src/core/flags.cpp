#include "mailferry/flags.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"

namespace mailferry {
namespace {

using ascii::iequals;

}  // namespace

bool is_imap_keyword(std::string_view keyword) {
    // 255: far above any real keyword, low enough that no server truncates it.
    if (keyword.empty() || keyword.size() > 255) return false;
    for (char c : keyword) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return false;  // SP, controls, DEL, 8-bit
        if (std::string_view("(){%*\"\\]").find(c) != std::string_view::npos) return false;
    }
    return true;
}

bool Flags::add_imap(std::string_view flag) {
    if (flag.empty()) return false;
    if (flag[0] == '\\') {
        if (iequals(flag, "\\Seen")) seen = true;
        else if (iequals(flag, "\\Answered")) answered = true;
        else if (iequals(flag, "\\Flagged")) flagged = true;
        else if (iequals(flag, "\\Deleted")) deleted = true;
        else if (iequals(flag, "\\Draft")) draft = true;
        return true;  // \Recent and unknown system flags carry no message state
    }
    if (!is_imap_keyword(flag)) return false;
    std::string kw(flag);
    auto pos = std::lower_bound(keywords.begin(), keywords.end(), kw);
    if (pos == keywords.end() || *pos != kw) keywords.insert(pos, std::move(kw));
    return true;
}

std::string Flags::to_imap() const {
    std::string out;
    auto add = [&out](std::string_view f) {
        if (!out.empty()) out += ' ';
        out += f;
    };
    if (seen) add("\\Seen");
    if (answered) add("\\Answered");
    if (flagged) add("\\Flagged");
    if (deleted) add("\\Deleted");
    if (draft) add("\\Draft");
    for (const auto& k : keywords) add(k);
    return out;
}

Flags Flags::from_imap(std::string_view list) {
    Flags f;
    size_t i = 0;
    while (i < list.size()) {
        while (i < list.size() && list[i] == ' ') ++i;
        size_t j = list.find(' ', i);
        if (j == std::string_view::npos) j = list.size();
        if (j > i) f.add_imap(list.substr(i, j - i));
        i = j;
    }
    return f;
}

std::string Flags::maildir_letters() const {
    std::string s;
    if (draft) s += 'D';
    if (flagged) s += 'F';
    if (answered) s += 'R';
    if (seen) s += 'S';
    if (deleted) s += 'T';
    return s;
}

Flags Flags::from_maildir_letters(std::string_view letters) {
    Flags f;
    for (char c : letters) {
        switch (c) {
        case 'D': f.draft = true; break;
        case 'F': f.flagged = true; break;
        case 'R': f.answered = true; break;
        case 'S': f.seen = true; break;
        case 'T': f.deleted = true; break;
        default: break;  // P (passed) and keyword letters a-z: not system flags
        }
    }
    return f;
}

}  // namespace mailferry
