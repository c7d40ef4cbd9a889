// Dates as the tool stores them: seconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <string>

namespace mailferry {

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

// A local date-time plus its zone as +HHMM (e.g. -0130 as -130), as IMAP and
// RFC 5322 write it, to epoch seconds.
int64_t epoch_from_fields(int year, int month, int day, int hour, int minute, int second,
                          int zone_hhmm);

// "2024-03-01T12:00:00Z"
std::string iso8601_utc(int64_t epoch_seconds);

int64_t now_epoch();

}  // namespace mailferry
