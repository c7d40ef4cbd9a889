#include "core/time_text.hpp"

#include <cstdio>
#include <limits>
#include <string>

#include "core/clock.hpp"

namespace mailferry {

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    int64_t unit = 1;
    switch (text.back()) {
    case 's': unit = 1; text.remove_suffix(1); break;
    case 'm': unit = 60; text.remove_suffix(1); break;
    case 'h': unit = 3600; text.remove_suffix(1); break;
    case 'd': unit = 86400; text.remove_suffix(1); break;
    default: break;
    }
    if (text.empty() || text.size() > 12) return std::nullopt;  // 12 digits of days still fit
    int64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return std::chrono::seconds(n * unit);
}

std::optional<int64_t> parse_point_in_time(std::string_view text, int64_t now) {
    if (!text.empty() && text.front() == '+') {
        auto d = parse_duration(text.substr(1));
        if (!d) return std::nullopt;
        return now + d->count();
    }
    const std::string s(text);
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
    char sep = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &used) != 6) return std::nullopt;
    if (sep != 'T' && sep != ' ') return std::nullopt;
    std::string_view rest = text.substr(static_cast<size_t>(used));
    if (rest.size() >= 3 && rest[0] == ':') {
        if (rest[1] < '0' || rest[1] > '5' || rest[2] < '0' || rest[2] > '9') return std::nullopt;
        sec = (rest[1] - '0') * 10 + (rest[2] - '0');
        rest.remove_prefix(3);
    }
    if (rest == "Z") rest.remove_prefix(1);
    if (!rest.empty()) return std::nullopt;
    return epoch_from_fields(y, mo, d, h, mi, sec, 0);
}

}  // namespace mailferry
