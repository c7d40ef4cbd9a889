#include "core/clock.hpp"

#include <chrono>
#include <cstdio>

namespace mailferry {

// Howard Hinnant's days_from_civil algorithm (public domain description).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int64_t clamp_epoch(int64_t t) { return t < kEarliestEpoch ? kEarliestEpoch : t > kLatestEpoch ? kLatestEpoch : t; }

int days_in_month(int y, int m) {
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

std::optional<int64_t> epoch_from_fields(int year, int month, int day, int hour, int minute, int second,
                                         int zone_hhmm) {
    if (year < 1 || year > 9999 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return std::nullopt;
    if (zone_hhmm < -9959 || zone_hhmm > 9959) return std::nullopt;
    int sign = zone_hhmm < 0 ? -1 : 1;
    int z = zone_hhmm * sign;
    if (z % 100 > 59) return std::nullopt;
    int64_t offset = sign * ((z / 100) * 3600 + (z % 100) * 60);
    int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    return clamp_epoch(days * 86400 + hour * 3600 + minute * 60 + second - offset);
}

CivilTime civil_from_epoch(int64_t t) {
    t = clamp_epoch(t);
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    // Howard Hinnant's civil_from_days.
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    return {static_cast<int>(y), static_cast<int>(m), static_cast<int>(d), static_cast<int>(secs / 3600),
            static_cast<int>((secs / 60) % 60), static_cast<int>(secs % 60)};
}

std::string iso8601_utc(int64_t t) {
    CivilTime c = civil_from_epoch(t);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute,
                  c.second);
    return buf;
}

int64_t now_epoch() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace mailferry
