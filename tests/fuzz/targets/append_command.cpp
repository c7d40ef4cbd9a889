// The APPEND command line (src/wrap/imap_appender.hpp, append_head): the
// input's first 8 bytes are the received date (epoch seconds, as they are and
// clamped), the rest is the target folder's name, a NUL, the flag list as the
// index stores it ("\\Seen $Label"). Each is tried as given and with the flags
// as Flags::to_imap writes them. Properties:
//  - append_head accepts exactly when the name is non-empty printable ASCII,
//    every flag is one of the five system flags or an atom of at most 255
//    bytes (fuzz_check.hpp's reading of RFC 3501), and the date lies in
//    0001-9999; a refusal is an invalid_data error of radius message;
//  - what it accepts is one line of printable ASCII: `TAG APPEND "box" (flags)
//    "date" `, read back here token by token: the quoted name unescapes to the
//    name, the flag list is `flag *(SP flag)`, the date means the epoch sent;
//  - what Flags::to_imap writes is always accepted (else every message with
//    that flag set would be refused).
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "date_oracle.hpp"
#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"
#include "core/clock.hpp"
#include "mailferry/flags.hpp"
#include "wrap/imap_appender.hpp"

namespace mailferry::fuzz {
namespace {

constexpr std::string_view kTag = "mf7";

bool same_ignoring_case(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

bool system_flag(std::string_view f) {
    for (std::string_view s : {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"})
        if (same_ignoring_case(f, s)) return true;
    return false;
}

bool sendable_flag(std::string_view f) { return system_flag(f) || (imap_atom(f) && f.size() <= 255); }

// flag-list contents (RFC 3501): empty, or flag *(SP flag).
bool sendable_flag_list(std::string_view list) {
    if (list.empty()) return true;
    for (size_t i = 0;;) {
        size_t space = std::min(list.find(' ', i), list.size());
        if (!sendable_flag(list.substr(i, space - i))) return false;
        if (space == list.size()) return true;
        i = space + 1;
    }
}

bool printable(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// An IMAP quoted string at the start of s: its contents, and s moved past it.
std::optional<std::string> take_quoted(std::string_view& s) {
    if (s.empty() || s[0] != '"') return std::nullopt;
    std::string out;
    for (size_t i = 1; i < s.size(); ++i) {
        if (s[i] == '"') {
            s.remove_prefix(i + 1);
            return out;
        }
        if (s[i] == '\\') {
            if (++i == s.size() || (s[i] != '\\' && s[i] != '"')) return std::nullopt;
        }
        out += s[i];
    }
    return std::nullopt;
}

bool take(std::string_view& s, std::string_view prefix) {
    if (s.substr(0, prefix.size()) != prefix) return false;
    s.remove_prefix(prefix.size());
    return true;
}

void check_head(const wrap::AppendCommand& c) {
    const bool expected = !c.mailbox.empty() && printable(c.mailbox) && sendable_flag_list(c.flags) &&
                          c.internaldate >= kEarliestEpoch && c.internaldate <= kLatestEpoch;
    auto head = wrap::append_head(kTag, c);
    MF_FUZZ_CHECK(head.ok() == expected);
    if (!head) {
        MF_FUZZ_CHECK(head.error().kind == ErrorKind::invalid_data && head.error().radius == Radius::message);
        MF_FUZZ_CHECK(!head.error().message.empty());
        return;
    }
    // One line: nothing but printable ASCII, so no CR, LF or NUL inside.
    MF_FUZZ_CHECK(printable(*head));
    std::string_view rest = *head;
    MF_FUZZ_CHECK(take(rest, kTag) && take(rest, " APPEND "));
    auto mailbox = take_quoted(rest);
    MF_FUZZ_CHECK(mailbox && *mailbox == c.mailbox);
    MF_FUZZ_CHECK(take(rest, " ("));
    size_t close = rest.find(')');
    MF_FUZZ_CHECK(close != std::string_view::npos);
    MF_FUZZ_CHECK(rest.substr(0, close) == c.flags && sendable_flag_list(rest.substr(0, close)));
    rest.remove_prefix(close);
    MF_FUZZ_CHECK(take(rest, ") "));
    auto date = take_quoted(rest);
    MF_FUZZ_CHECK(date && oracle_imap_date_time(*date) == c.internaldate);
    MF_FUZZ_CHECK(rest == " ");  // the literal's {N+} follows
}

}  // namespace

void append_command_one(const uint8_t* data, size_t size) {
    uint64_t raw = 0;
    std::memcpy(&raw, data, std::min(size, sizeof raw));
    std::string_view text(reinterpret_cast<const char*>(data), size);
    text.remove_prefix(std::min(size, sizeof raw));
    size_t nul = text.find('\0');

    wrap::AppendCommand c;
    c.mailbox = std::string(text.substr(0, nul));
    c.flags = nul == std::string_view::npos ? "" : std::string(text.substr(nul + 1));
    c.literal = "Subject: x\r\n\r\nbody\r\n";
    for (int64_t date : {static_cast<int64_t>(raw), clamp_epoch(static_cast<int64_t>(raw))}) {
        c.internaldate = date;
        check_head(c);
        wrap::AppendCommand stored = c;
        stored.flags = Flags::from_imap(c.flags).to_imap();
        check_head(stored);
        if (!c.mailbox.empty() && printable(c.mailbox) && date == clamp_epoch(date))
            MF_FUZZ_CHECK(wrap::append_head(kTag, stored).ok());
    }
}

}  // namespace mailferry::fuzz
