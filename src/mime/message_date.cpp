#include "mime/message_date.hpp"

#include <cctype>
#include <cstring>
#include <strings.h>
#include <string>

#include "mailferry/clock.hpp"

namespace mailferry::mime {
namespace {

constexpr size_t max_header_bytes = 256 * 1024;

// Tokens of a date: words and numbers, with comments, commas and extra
// spaces dropped; "23:32:54" stays one token.
class Tokens {
public:
    explicit Tokens(std::string_view s) : s_(s) {}
    std::string_view next() {
        for (;;) {
            while (i_ < s_.size() && (std::isspace(static_cast<unsigned char>(s_[i_])) || s_[i_] == ',')) ++i_;
            if (i_ < s_.size() && s_[i_] == '(') {
                int depth = 0;
                for (; i_ < s_.size(); ++i_) {
                    if (s_[i_] == '(') ++depth;
                    if (s_[i_] == ')' && --depth == 0) {
                        ++i_;
                        break;
                    }
                }
                continue;
            }
            break;
        }
        size_t start = i_;
        while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) && s_[i_] != ',' && s_[i_] != '(') ++i_;
        return s_.substr(start, i_ - start);
    }

private:
    std::string_view s_;
    size_t i_ = 0;
};

bool all_digits(std::string_view t) {
    if (t.empty()) return false;
    for (char c : t)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

int month_of(std::string_view t) {
    static const char* names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    if (t.size() < 3) return 0;
    for (int m = 0; m < 12; ++m)
        if (strncasecmp(t.data(), names[m], 3) == 0) return m + 1;
    return 0;
}

// +HHMM as a number (-0330 -> -330); named zones of RFC 5322 §4.3; unknown: 0.
int zone_of(std::string_view t) {
    if (t.size() == 5 && (t[0] == '+' || t[0] == '-') && all_digits(t.substr(1)))
        return (t[0] == '-' ? -1 : 1) * std::stoi(std::string(t.substr(1)));
    struct Named {
        const char* name;
        int zone;
    };
    static const Named named[] = {{"UT", 0},     {"UTC", 0},    {"GMT", 0},    {"Z", 0},      {"EST", -500},
                                  {"EDT", -400}, {"CST", -600}, {"CDT", -500}, {"MST", -700}, {"MDT", -600},
                                  {"PST", -800}, {"PDT", -700}};
    for (const auto& n : named)
        if (t.size() == std::strlen(n.name) && strncasecmp(t.data(), n.name, t.size()) == 0) return n.zone;
    return 0;
}

// The value of each header field named `name` (unfolded), in order, until stop() says so.
template <typename Fn>
void for_each_field(std::string_view message, std::string_view name, Fn fn) {
    message = message.substr(0, max_header_bytes);
    size_t pos = 0;
    while (pos < message.size()) {
        size_t eol = message.find('\n', pos);
        if (eol == std::string_view::npos) eol = message.size();
        std::string_view line = message.substr(pos, eol - pos);
        if (line.empty() || line == "\r") return;  // end of the header section
        size_t next = eol + 1;
        if (line.size() > name.size() && line[name.size()] == ':' && strncasecmp(line.data(), name.data(), name.size()) == 0) {
            std::string value(line.substr(name.size() + 1));
            while (next < message.size() && (message[next] == ' ' || message[next] == '\t')) {
                size_t e = message.find('\n', next);
                if (e == std::string_view::npos) e = message.size();
                value += ' ';
                value += message.substr(next, e - next);
                next = e + 1;
            }
            if (!fn(value)) return;
        }
        pos = next;
    }
}

}  // namespace

std::optional<int64_t> parse_rfc5322_date(std::string_view text) {
    Tokens tok(text);
    std::string_view t = tok.next();
    if (!t.empty() && !all_digits(t)) t = tok.next();  // the day of the week
    if (!all_digits(t) || t.size() > 2) return std::nullopt;
    int day = std::stoi(std::string(t));
    int month = month_of(tok.next());
    t = tok.next();
    if (!month || !all_digits(t) || t.size() > 4) return std::nullopt;
    int year = std::stoi(std::string(t));
    if (t.size() <= 2) year += year < 50 ? 2000 : 1900;  // RFC 5322 §4.3
    else if (t.size() == 3) year += 1900;
    int h = 0, m = 0, s = 0;
    t = tok.next();
    if (std::sscanf(std::string(t).c_str(), "%d:%d:%d", &h, &m, &s) < 2) return std::nullopt;
    if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return std::nullopt;
    int zone = zone_of(tok.next());
    return epoch_from_fields(year, month, day, h, m, s == 60 ? 59 : s, zone);
}

ReceivedDate received_date(std::string_view message, int64_t fallback) {
    std::optional<int64_t> when;
    for_each_field(message, "Received", [&](const std::string& value) {
        size_t semi = value.rfind(';');
        if (semi != std::string::npos) when = parse_rfc5322_date(std::string_view(value).substr(semi + 1));
        return false;  // only the topmost one counts
    });
    if (when) return {*when, "received"};
    for_each_field(message, "Date", [&](const std::string& value) {
        when = parse_rfc5322_date(value);
        return false;
    });
    if (when) return {*when, "date"};
    return {fallback, "fetch"};
}

}  // namespace mailferry::mime
