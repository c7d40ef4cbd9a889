// Dates worked out a second way, for the targets that check src/core/clock.cpp
// and the IMAP date-time it writes: plain day counting from 0001-01-01 instead
// of the era arithmetic clock.cpp uses, so that the two do not share a bug.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mailferry::fuzz {

bool oracle_leap_year(int64_t year);
int oracle_days_in_month(int64_t year, int month);  // 0 for a month outside 1..12

// Epoch seconds of a UTC date-time with year >= 1 and the other fields in
// range (second up to 60); no clamping.
int64_t oracle_epoch(int64_t year, int month, int day, int hour, int minute, int second);

// RFC 3501 date-time without its quotes, "01-Jan-2024 12:00:00 +0000"
// (the day two digits or space and digit, zone +/-HHMM): epoch seconds, or
// nullopt when the text is not exactly that.
std::optional<int64_t> oracle_imap_date_time(std::string_view text);

}  // namespace mailferry::fuzz
