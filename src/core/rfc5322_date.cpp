#include "core/rfc5322_date.hpp"

#include <array>
#include <cctype>

#include "core/ascii.hpp"
#include "core/clock.hpp"

namespace mailferry {
namespace {

constexpr size_t kMaxTokens = 12;

struct Token {
    std::string_view text;
};

bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

using ascii::lower;

using ascii::iequals;

// Splits at blanks and commas and drops (nested) comments.
size_t tokenize(std::string_view v, std::array<Token, kMaxTokens>& out) {
    size_t n = 0, i = 0;
    while (i < v.size() && n < kMaxTokens) {
        char c = v[i];
        if (c == '(') {
            int depth = 0;
            for (; i < v.size(); ++i) {
                if (v[i] == '\\') { ++i; continue; }
                if (v[i] == '(') ++depth;
                if (v[i] == ')' && --depth == 0) { ++i; break; }
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < v.size() && v[j] != ' ' && v[j] != '\t' && v[j] != '\r' && v[j] != '\n' && v[j] != ',' &&
               v[j] != '(')
            ++j;
        out[n++].text = v.substr(i, j - i);
        i = j;
    }
    return n;
}

std::optional<int> number(std::string_view s, size_t min_digits, size_t max_digits) {
    if (s.size() < min_digits || s.size() > max_digits) return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

bool is_weekday(std::string_view s) {
    static const char* days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    if (s.size() < 3) return false;
    for (const char* d : days)
        if (iequals(s.substr(0, 3), d)) {
            for (char c : s) if (!is_alpha(c) && c != '.') return false;
            return true;
        }
    return false;
}

std::optional<int> month_of(std::string_view s) {
    static const char* months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
    if (s.size() < 3) return std::nullopt;
    for (char c : s) if (!is_alpha(c) && c != '.') return std::nullopt;
    for (int m = 0; m < 12; ++m)
        if (iequals(s.substr(0, 3), months[m])) return m + 1;
    return std::nullopt;
}

struct Time {
    int h = 0, m = 0, s = 0;
};

std::optional<Time> time_of(std::string_view s) {
    Time t;
    size_t c1 = s.find(':');
    if (c1 == std::string_view::npos) return std::nullopt;
    size_t c2 = s.find(':', c1 + 1);
    auto h = number(s.substr(0, c1), 1, 2);
    auto m = number(s.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1), 2, 2);
    if (!h || !m) return std::nullopt;
    t.h = *h;
    t.m = *m;
    if (c2 != std::string_view::npos) {
        std::string_view sec = s.substr(c2 + 1);
        if (size_t dot = sec.find('.'); dot != std::string_view::npos) sec = sec.substr(0, dot);  // fractions
        auto sv = number(sec, 1, 2);
        if (!sv) return std::nullopt;
        t.s = *sv;
    }
    if (t.h > 23 || t.m > 59 || t.s > 60) return std::nullopt;
    if (t.s == 60) t.s = 59;  // a leap second: close enough for a received date
    return t;
}

// +hhmm / -hhmm as a signed hhmm number, or a zone name; nullopt: not a zone.
std::optional<int> zone_of(std::string_view s) {
    if (s.size() == 5 && (s[0] == '+' || s[0] == '-')) {
        auto v = number(s.substr(1), 4, 4);
        if (!v || *v % 100 > 59) return std::nullopt;
        return s[0] == '-' ? -*v : *v;
    }
    if (s.size() == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':') {  // +01:00
        auto h = number(s.substr(1, 2), 2, 2), m = number(s.substr(4), 2, 2);
        if (!h || !m || *m > 59) return std::nullopt;
        return (s[0] == '-' ? -1 : 1) * (*h * 100 + *m);
    }
    struct Named {
        const char* name;
        int hhmm;
    };
    static const Named names[] = {
        {"UT", 0},     {"UTC", 0},    {"GMT", 0},    {"Z", 0},      {"EST", -500}, {"EDT", -400},
        {"CST", -600}, {"CDT", -500}, {"MST", -700}, {"MDT", -600}, {"PST", -800}, {"PDT", -700},
        {"CET", 100},  {"CEST", 200}, {"MET", 100},  {"MEST", 200}, {"BST", 100},  {"EET", 200},
        {"EEST", 300}, {"WET", 0},    {"WEST", 100}, {"JST", 900},  {"KST", 900},  {"HKT", 800},
    };
    for (const auto& n : names)
        if (iequals(s, n.name)) return n.hhmm;
    bool alpha = !s.empty();
    for (char c : s) alpha &= is_alpha(c);
    if (alpha && s.size() <= 5) return 0;  // an unknown zone name: RFC 5322 says take it as -0000
    return std::nullopt;
}

int full_year(int y, size_t digits) {
    if (digits == 2) return y < 50 ? 2000 + y : 1900 + y;
    if (digits == 3) return 1900 + y;
    return y;
}

std::optional<int64_t> assemble(int year, int month, int day, Time t, int zone) {
    if (year < 1 || year > 9999 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
    return epoch_from_fields(year, month, day, t.h, t.m, t.s, zone);
}

// day month year time [zone]
std::optional<int64_t> rfc_form(const std::array<Token, kMaxTokens>& tk, size_t i, size_t n) {
    if (n - i < 4) return std::nullopt;
    auto day = number(tk[i].text, 1, 2);
    auto month = month_of(tk[i + 1].text);
    auto year = number(tk[i + 2].text, 2, 4);
    auto time = time_of(tk[i + 3].text);
    if (!day || !month || !year || !time) return std::nullopt;
    int zone = 0;
    if (n - i > 4) {
        if (auto z = zone_of(tk[i + 4].text)) zone = *z;
    }
    return assemble(full_year(*year, tk[i + 2].text.size()), *month, *day, *time, zone);
}

// asctime: month day time [zone] year
std::optional<int64_t> asctime_form(const std::array<Token, kMaxTokens>& tk, size_t i, size_t n) {
    if (n - i < 4) return std::nullopt;
    auto month = month_of(tk[i].text);
    auto day = number(tk[i + 1].text, 1, 2);
    auto time = time_of(tk[i + 2].text);
    if (!month || !day || !time) return std::nullopt;
    size_t y = i + 3;
    int zone = 0;
    if (auto z = zone_of(tk[y].text); z && !number(tk[y].text, 4, 4)) {
        zone = *z;
        if (++y >= n) return std::nullopt;
    }
    auto year = number(tk[y].text, 2, 4);
    if (!year) return std::nullopt;
    return assemble(full_year(*year, tk[y].text.size()), *month, *day, *time, zone);
}

}  // namespace

std::optional<int64_t> parse_rfc5322_date(std::string_view value) {
    if (value.size() > 200) value = value.substr(0, 200);
    std::array<Token, kMaxTokens> tk;
    size_t n = tokenize(value, tk);
    size_t i = 0;
    if (i < n && is_weekday(tk[i].text)) ++i;
    if (auto t = rfc_form(tk, i, n)) return t;
    return asctime_form(tk, i, n);
}

}  // namespace mailferry
