// The mbox separator line ("From_ line"): recognition, parsing and writing.
//
// Two kinds are recognised (the reader decides which of them split messages):
//  - strict: "From " [sender] date, where date is asctime-like,
//      Www Mmm [d]d hh:mm[:ss] [zone [zone]] yy[yy] [anything]
//    (zones: a name such as MET, PST, DST, or +hhmm; the weekday is required,
//    seconds, zones and the century are not), or RFC 5322-like,
//      Www, [d]d Mmm yyyy hh:mm[:ss] [zone] [anything]
//    The sender is everything between "From " and the date, trimmed; it may
//    be empty and may hold spaces ("From  Tue Nov 28 ..." of mail-archives).
//  - weak: "From" followed by at most one token and nothing else: "From -"
//    (Thunderbird/MimeKit), "From " (an archive that lost the envelope),
//    "From 1844347792267117879@xxx" (Gmail-style id, no date).
// "From Russia with love" is neither: several words and no date.
//
// Pure functions, no allocation except format_from_line; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailferry::mbox {

enum class FromKind { none, weak, strict };

struct FromLine {
    FromKind kind = FromKind::none;
    std::string_view sender;      // a view into the parsed line
    std::optional<int64_t> date;  // epoch seconds (the zone applied when one is given, else UTC)
};

// line: one line without its line feed; a trailing CR is ignored.
FromLine parse_from_line(std::string_view line);

// The date part alone, as it follows the sender; nullopt when it is not one of
// the forms above. Exposed for the tests.
std::optional<int64_t> parse_from_date(std::string_view text);

// "From SENDER Www Mmm dd hh:mm:ss yyyy" (asctime, UTC, day padded with a space),
// without a line ending. An empty sender, or one with whitespace or control
// characters, is written as MAILER-DAEMON.
std::string format_from_line(std::string_view sender, int64_t epoch_seconds);

// Lines an mbox writer must escape and an mboxrd reader un-escapes: ">"* "From ".
// Returns the number of leading '>' when line matches, -1 otherwise. line may
// be a prefix of a longer line (at least up to the "From ").
int escaped_from_depth(std::string_view line);

}  // namespace mailferry::mbox
