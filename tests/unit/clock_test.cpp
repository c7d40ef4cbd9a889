#include <catch2/catch.hpp>

#include "mailferry/clock.hpp"

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
