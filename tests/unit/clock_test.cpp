#include <catch2/catch.hpp>

#include "core/clock.hpp"

using namespace mailferry;

TEST_CASE("IMAP date-times with zones become epoch seconds", "[clock]") {
    CHECK(epoch_from_fields(1970, 1, 1, 0, 0, 0, 0) == 0);
    CHECK(epoch_from_fields(2024, 2, 29, 12, 0, 0, 0) == 1709208000);
    CHECK(epoch_from_fields(2024, 2, 29, 13, 30, 0, 130) == 1709208000);
    CHECK(epoch_from_fields(2024, 2, 29, 7, 0, 0, -500) == 1709208000);
    CHECK(epoch_from_fields(1969, 12, 31, 23, 59, 59, 0) == -1);
    CHECK(iso8601_utc(1709208000) == "2024-02-29T12:00:00Z");
    CHECK(iso8601_utc(-1) == "1969-12-31T23:59:59Z");
}

TEST_CASE("dates outside 0001-9999 are clamped, fields out of range refused", "[clock]") {
    // "31 Dec 9999 23:59:59 -9959" is year 10000 in UTC: kept as the last second of 9999.
    CHECK(epoch_from_fields(9999, 12, 31, 23, 59, 59, -9959) == kLatestEpoch);
    CHECK(epoch_from_fields(1, 1, 1, 0, 0, 0, 9959) == kEarliestEpoch);
    CHECK(iso8601_utc(kLatestEpoch) == "9999-12-31T23:59:59Z");
    CHECK(iso8601_utc(kEarliestEpoch) == "0001-01-01T00:00:00Z");
    CHECK(iso8601_utc(INT64_MAX) == "9999-12-31T23:59:59Z");
    CHECK(iso8601_utc(INT64_MIN) == "0001-01-01T00:00:00Z");
    const int bad[][7] = {
        {2024, 13, 1, 0, 0, 0, 0},  {2024, 0, 1, 0, 0, 0, 0},   {2024, 2, 30, 0, 0, 0, 0},
        {2023, 2, 29, 0, 0, 0, 0},  {2024, 4, 31, 0, 0, 0, 0},  {2024, 1, 0, 0, 0, 0, 0},
        {2024, 1, 1, 24, 0, 0, 0},  {2024, 1, 1, 0, 60, 0, 0},  {2024, 1, 1, 0, 0, 61, 0},
        {2024, 1, 1, 0, 0, 0, 9960}, {2024, 1, 1, 0, 0, 0, -10000}, {2024, 1, 1, 0, 0, 0, 160},
        {0, 1, 1, 0, 0, 0, 0},      {10000, 1, 1, 0, 0, 0, 0},  {2024, -1, 1, 0, 0, 0, 0},
    };
    for (const auto& f : bad) {
        CAPTURE(f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
        CHECK_FALSE(epoch_from_fields(f[0], f[1], f[2], f[3], f[4], f[5], f[6]).has_value());
    }
    CHECK(epoch_from_fields(2024, 2, 29, 0, 0, 0, 0).has_value());
    CHECK(epoch_from_fields(2016, 12, 31, 23, 59, 60, 0).has_value());  // a leap second
    CivilTime c = civil_from_epoch(kLatestEpoch + 1000);
    CHECK(c.year == 9999);
    CHECK(c.month == 12);
}
