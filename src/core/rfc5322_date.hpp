// The Date: header field (RFC 5322 §3.3, with the obsolete forms of §4.3 and
// the shapes real mail has): the received date of messages that come without
// one (EML files, mbox messages without a From_ line date).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mailferry {

// Epoch seconds of a Date: value such as "Tue, 1 Jul 2003 10:52:37 +0200".
// Accepted: an optional weekday (with or without its comma), a 2-, 3- or
// 4-digit year (obsolete: 49 and below are 20xx, 50-99 are 19xx, 3 digits
// +1900), seconds optional, a numeric zone, UT/GMT/UTC/Z, the US zone names,
// a few common European and Asian ones, a missing or unknown zone as UTC,
// comments anywhere; and asctime's "Www Mmm dd hh:mm:ss yyyy". nullopt for
// anything else (the caller then falls back to another date). No allocation,
// never throws.
std::optional<int64_t> parse_rfc5322_date(std::string_view value);

}  // namespace mailferry
