#include "formats/mbox/from_line.hpp"

#include <chrono>
#include <cstdio>

#include "core/ascii.hpp"
#include "core/clock.hpp"

namespace mailferry::mbox {
namespace {

constexpr const char* weekday_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
using ascii::lower;

// Index of a three-letter name in table (case-insensitive), or -1.
template <size_t N>
int name_index(std::string_view s, const char* const (&table)[N]) {
    if (s.size() < 3) return -1;
    for (size_t k = 0; k < N; ++k) {
        const char* t = table[k];
        if (lower(s[0]) == lower(t[0]) && lower(s[1]) == lower(t[1]) && lower(s[2]) == lower(t[2]))
            return static_cast<int>(k);
    }
    return -1;
}

// Zone names seen in From_ lines, as +hhmm. Unknown names count as UTC: the
// From_ date is only a fallback for the received date.
int zone_name_offset(std::string_view name) {
    struct Zone {
        const char* name;
        int hhmm;
    };
    static constexpr Zone zones[] = {
        {"UT", 0},     {"UTC", 0},    {"GMT", 0},    {"Z", 0},      {"WET", 0},   {"BST", 100},
        {"MET", 100},  {"CET", 100},  {"MEZ", 100},  {"MEST", 200}, {"CEST", 200}, {"MESZ", 200},
        {"EET", 200},  {"EEST", 300}, {"EST", -500}, {"EDT", -400}, {"CST", -600}, {"CDT", -500},
        {"MST", -700}, {"MDT", -600}, {"PST", -800}, {"PDT", -700}, {"JST", 900},  {"DST", 100},
    };
    for (const auto& z : zones) {
        std::string_view zn(z.name);
        if (zn.size() != name.size()) continue;
        bool same = true;
        for (size_t i = 0; i < zn.size() && same; ++i) same = lower(zn[i]) == lower(name[i]);
        if (same) return z.hhmm;
    }
    return 0;
}

// A tiny cursor over the date text.
struct Cursor {
    std::string_view s;
    size_t i = 0;

    bool end() const { return i >= s.size(); }
    char peek() const { return end() ? '\0' : s[i]; }
    bool blanks() {
        size_t from = i;
        while (!end() && is_blank(s[i])) ++i;
        return i > from;
    }
    // 1..max digits; returns their count (0 when none).
    size_t number(int& value, size_t max) {
        size_t n = 0;
        value = 0;
        while (!end() && is_digit(s[i]) && n < max) {
            value = value * 10 + (s[i] - '0');
            ++i, ++n;
        }
        return n;
    }
    std::string_view token() {
        size_t from = i;
        while (!end() && !is_blank(s[i])) ++i;
        return s.substr(from, i - from);
    }
    template <size_t N>
    int name(const char* const (&table)[N]) {
        if (s.size() - i < 3) return -1;
        int k = name_index(s.substr(i, 3), table);
        if (k >= 0) i += 3;
        return k;
    }
};

struct Fields {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, zone = 0;
    bool zone_set = false;
};

bool valid(const Fields& f) {
    return f.month >= 1 && f.month <= 12 && f.day >= 1 && f.day <= 31 && f.hour <= 23 && f.minute <= 59 &&
           f.second <= 60;
}

int full_year(int y, size_t digits) {
    if (digits == 2) return y < 70 ? 2000 + y : 1900 + y;
    return y;
}

// "hh:mm[:ss]"
bool time_of_day(Cursor& c, Fields& f) {
    if (c.number(f.hour, 2) == 0 || c.peek() != ':') return false;
    ++c.i;
    if (c.number(f.minute, 2) != 2) return false;
    if (c.peek() == ':') {
        ++c.i;
        if (c.number(f.second, 2) != 2) return false;
    }
    return c.end() || is_blank(c.peek());
}

// "+hhmm" / "-hhmm"
bool numeric_zone(std::string_view tok, int& hhmm) {
    if (tok.size() != 5 || (tok[0] != '+' && tok[0] != '-')) return false;
    int v = 0;
    for (size_t k = 1; k < 5; ++k) {
        if (!is_digit(tok[k])) return false;
        v = v * 10 + (tok[k] - '0');
    }
    hhmm = tok[0] == '-' ? -v : v;
    return true;
}

bool alpha_token(std::string_view tok) {
    if (tok.empty() || tok.size() > 5) return false;
    for (char ch : tok)
        if (!is_alpha(ch)) return false;
    return true;
}

// After the time: up to two zone tokens, then the year, then maybe a numeric zone.
bool zones_and_year(Cursor& c, Fields& f) {
    for (int tokens = 0; tokens < 3; ++tokens) {
        if (!c.blanks()) return false;
        size_t at = c.i;
        std::string_view tok = c.token();
        int hhmm = 0;
        if (!tok.empty() && is_digit(tok[0])) {
            c.i = at;
            size_t digits = c.number(f.year, 4);
            if ((digits != 2 && digits != 4) || (!c.end() && !is_blank(c.peek()))) return false;
            f.year = full_year(f.year, digits);
            size_t after_year = c.i;
            if (c.blanks() && numeric_zone(c.token(), hhmm) && !f.zone_set) {
                f.zone = hhmm;
                f.zone_set = true;
            } else {
                c.i = after_year;
            }
            return true;
        }
        if (numeric_zone(tok, hhmm)) {
            f.zone = f.zone_set ? f.zone : hhmm;
            f.zone_set = true;
        } else if (alpha_token(tok)) {
            f.zone += zone_name_offset(tok);  // "MET DST" adds up
            f.zone_set = true;
        } else {
            return false;
        }
    }
    return false;
}

// Www Mmm [d]d hh:mm[:ss] [zone [zone]] yy[yy] ...
bool asctime_like(Cursor c, Fields& f) {
    if (c.name(weekday_names) < 0 || !c.blanks()) return false;
    int m = c.name(month_names);
    if (m < 0 || !c.blanks()) return false;
    f.month = m + 1;
    if (c.number(f.day, 2) == 0 || !c.blanks()) return false;
    return time_of_day(c, f) && zones_and_year(c, f);
}

// Www, [d]d Mmm yyyy hh:mm[:ss] [zone] ...
bool rfc5322_like(Cursor c, Fields& f) {
    if (c.name(weekday_names) < 0 || c.peek() != ',') return false;
    ++c.i;
    c.blanks();
    if (c.number(f.day, 2) == 0 || !c.blanks()) return false;
    int m = c.name(month_names);
    if (m < 0 || !c.blanks()) return false;
    f.month = m + 1;
    size_t digits = c.number(f.year, 4);
    if ((digits != 2 && digits != 4) || !c.blanks()) return false;
    f.year = full_year(f.year, digits);
    if (!time_of_day(c, f)) return false;
    size_t at = c.i;
    int hhmm = 0;
    if (c.blanks()) {
        std::string_view tok = c.token();
        if (numeric_zone(tok, hhmm)) f.zone = hhmm;
        else if (alpha_token(tok)) f.zone = zone_name_offset(tok);
        else c.i = at;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

bool has_blank_or_control(std::string_view s) {
    for (char ch : s) {
        auto u = static_cast<unsigned char>(ch);
        if (u <= 0x20 || u == 0x7f) return true;
    }
    return false;
}

}  // namespace

std::optional<int64_t> parse_from_date(std::string_view text) {
    Fields f;
    Cursor c{text};
    if (!asctime_like(c, f)) {
        f = Fields{};
        if (!rfc5322_like(c, f)) return std::nullopt;
    }
    if (!valid(f)) return std::nullopt;
    return epoch_from_fields(f.year, f.month, f.day, f.hour, f.minute, f.second, f.zone);
}

FromLine parse_from_line(std::string_view line) {
    FromLine out;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() < 4 || line.substr(0, 4) != "From") return out;
    if (line.size() == 4) {
        out.kind = FromKind::weak;
        return out;
    }
    if (line[4] != ' ') return out;
    std::string_view rest = trim(line.substr(5));
    // Every date form has a time: body text without ':' ends here (cheaply;
    // "From what I see, ..." lines are common in mboxo bodies).
    bool may_have_date = rest.find(':') != std::string_view::npos;
    // The date starts at a weekday name that begins a word; try each one, so a
    // sender that looks like a weekday ("From Mon Sat Jan ...") still works.
    for (size_t i = 0; may_have_date && i + 3 <= rest.size(); ++i) {
        if ((i > 0 && !is_blank(rest[i - 1])) || name_index(rest.substr(i, 3), weekday_names) < 0) continue;
        if (auto date = parse_from_date(rest.substr(i))) {
            out.kind = FromKind::strict;
            out.sender = trim(rest.substr(0, i));
            out.date = date;
            return out;
        }
    }
    if (!has_blank_or_control(rest)) {
        out.kind = FromKind::weak;
        out.sender = rest;
    }
    return out;
}

std::string format_from_line(std::string_view sender, int64_t t) {
    using namespace std::chrono;
    if (sender.empty() || has_blank_or_control(sender)) sender = "MAILER-DAEMON";
    int64_t day_count = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - day_count * 86400;
    sys_days sd{days{day_count}};
    year_month_day ymd{sd};
    weekday wd{sd};
    char date[64];
    std::snprintf(date, sizeof date, " %s %s %2u %02d:%02d:%02d %04d", weekday_names[wd.c_encoding()],
                  month_names[static_cast<unsigned>(ymd.month()) - 1], static_cast<unsigned>(ymd.day()),
                  static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                  static_cast<int>(ymd.year()));
    std::string out = "From ";
    out.append(sender);
    out += date;
    return out;
}

int escaped_from_depth(std::string_view line) {
    size_t n = 0;
    while (n < line.size() && line[n] == '>') ++n;
    return line.substr(n, 5) == "From " ? static_cast<int>(n) : -1;
}

}  // namespace mailferry::mbox
