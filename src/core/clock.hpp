// Dates as the tool stores them: seconds since the Unix epoch, UTC, always
// within the years 0001-9999 (what IMAP's date-time and RFC 5322 can write).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mailferry {

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
inline constexpr int64_t kEarliestEpoch = -62135596800;
inline constexpr int64_t kLatestEpoch = 253402300799;

// t brought into [kEarliestEpoch, kLatestEpoch]: a date from a hostile or
// broken peer ("31 Dec 9999 23:59:59 -9959" is year 10000 in UTC) is kept as
// the nearest date that every reader and writer of the cache can handle.
int64_t clamp_epoch(int64_t t);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

struct CivilTime {
    int year, month, day, hour, minute, second;
};
// The UTC calendar fields of a (clamped) epoch time, computed from numbers.
CivilTime civil_from_epoch(int64_t epoch_seconds);

int days_in_month(int year, int month);

// A local date-time plus its zone as +HHMM (e.g. -0130 as -130), as IMAP and
// RFC 5322 write it, to epoch seconds, clamped. nullopt when any field is out
// of range: year 1-9999, month 1-12, a day the month has, hour 0-23, minute
// 0-59, second 0-60, zone -9959..+9959 with minutes 0-59.
std::optional<int64_t> epoch_from_fields(int year, int month, int day, int hour, int minute, int second,
                                         int zone_hhmm);

// "2024-03-01T12:00:00Z" (of the clamped time: always a four-digit year)
std::string iso8601_utc(int64_t epoch_seconds);

int64_t now_epoch();

}  // namespace mailferry
