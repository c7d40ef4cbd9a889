#include "date_oracle.hpp"

#include <array>

namespace mailferry::fuzz {
namespace {

constexpr int64_t kDaysFrom0001To1970 = 719162;

std::optional<int> digits(std::string_view s) {
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

}  // namespace

bool oracle_leap_year(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int oracle_days_in_month(int64_t year, int month) {
    static constexpr std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return 0;
    return days[size_t(month - 1)] + (month == 2 && oracle_leap_year(year) ? 1 : 0);
}

int64_t oracle_epoch(int64_t year, int month, int day, int hour, int minute, int second) {
    int64_t before = year - 1;  // whole years since 0001-01-01
    int64_t days = before * 365 + before / 4 - before / 100 + before / 400;
    for (int m = 1; m < month; ++m) days += oracle_days_in_month(year, m);
    days += day - 1;
    return (days - kDaysFrom0001To1970) * 86400 + hour * 3600 + minute * 60 + second;
}

std::optional<int64_t> oracle_imap_date_time(std::string_view t) {
    static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // DD-Mon-YYYY HH:MM:SS +HHMM: 26 characters, separators at fixed places.
    if (t.size() != 26 || t[2] != '-' || t[6] != '-' || t[11] != ' ' || t[14] != ':' || t[17] != ':' ||
        t[20] != ' ' || (t[21] != '+' && t[21] != '-'))
        return std::nullopt;
    auto day = digits(t[0] == ' ' ? t.substr(1, 1) : t.substr(0, 2));
    auto year = digits(t.substr(7, 4));
    auto hour = digits(t.substr(12, 2)), minute = digits(t.substr(15, 2)), second = digits(t.substr(18, 2));
    auto zh = digits(t.substr(22, 2)), zm = digits(t.substr(24, 2));
    int month = 0;
    for (size_t m = 0; m < months.size(); ++m)
        if (t.substr(3, 3) == months[m]) month = int(m) + 1;
    if (!day || !year || !hour || !minute || !second || !zh || !zm || month == 0) return std::nullopt;
    if (*year < 1 || *day < 1 || *day > oracle_days_in_month(*year, month) || *hour > 23 || *minute > 59 ||
        *second > 60 || *zm > 59)
        return std::nullopt;
    int64_t offset = (t[21] == '-' ? -1 : 1) * (*zh * 3600 + *zm * 60);
    return oracle_epoch(*year, month, *day, *hour, *minute, *second) - offset;
}

}  // namespace mailferry::fuzz
