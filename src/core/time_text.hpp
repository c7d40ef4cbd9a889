// Times as a user types them on the command line: durations ("30s", "10m",
// "2h", "1d", or plain seconds) and points in time (ISO 8601 in UTC, or a
// duration from now with "+" in front).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mailferry {

// "90", "90s", "10m", "2h", "1d": whole units, no sign; nullopt otherwise
// or when it would overflow.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// "2026-12-08T18:00Z", "2026-12-08T18:00:30Z" (the Z may be left out: UTC
// either way; a space may stand for the T), or "+DURATION" from now.
// Epoch seconds; nullopt for anything else, or a date the calendar lacks.
std::optional<int64_t> parse_point_in_time(std::string_view text, int64_t now);

}  // namespace mailferry
