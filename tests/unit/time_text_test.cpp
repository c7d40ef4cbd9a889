// Durations and points in time as a user types them (core/time_text.hpp):
// watch's --poll-interval and --until.
#include <catch2/catch.hpp>

#include "core/time_text.hpp"

using namespace mailferry;

TEST_CASE("durations: whole units of s, m, h, d or plain seconds, nothing else", "[time]") {
    CHECK(parse_duration("90")->count() == 90);
    CHECK(parse_duration("30s")->count() == 30);
    CHECK(parse_duration("10m")->count() == 600);
    CHECK(parse_duration("2h")->count() == 7200);
    CHECK(parse_duration("1d")->count() == 86400);
    for (const char* bad : {"", "m", "-5m", "1.5h", "10 m", "10M", "1w", "9999999999999d", "+10m"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_duration(bad));
    }
}

TEST_CASE("points in time: ISO 8601 in UTC, or +DURATION from now", "[time]") {
    const int64_t now = 1'800'000'000;
    CHECK(parse_point_in_time("+90m", now) == now + 5400);
    CHECK(parse_point_in_time("2026-12-08T18:00Z", now) == 1796752800);
    CHECK(parse_point_in_time("2026-12-08T18:00", now) == 1796752800);
    CHECK(parse_point_in_time("2026-12-08 18:00:30Z", now) == 1796752830);
    for (const char* bad : {"", "+", "tomorrow", "2026-12-08", "2026-02-30T10:00Z", "2026-12-08T25:00Z",
                            "2026-12-08T18:00+01:00", "2026-12-08T18:00:7Z", "2026-12-08X18:00Z"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_point_in_time(bad, now));
    }
}
