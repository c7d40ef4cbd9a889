#include <catch2/catch.hpp>

#include "wrap/imap_appender.hpp"
#include "wrap/imap_session.hpp"

using namespace mailferry::wrap;

TEST_CASE("APPEND arguments are written as RFC 3501 wants them", "[append]") {
    CHECK(imap_quote("Sent Items") == "\"Sent Items\"");
    CHECK(imap_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(imap_date_time(1709208000) == "29-Feb-2024 12:00:00 +0000");
    CHECK(imap_date_time(0) == "01-Jan-1970 00:00:00 +0000");
}

TEST_CASE("APPENDUID is read from the tagged OK", "[append]") {
    uint32_t v = 0, u = 0;
    CHECK(parse_appenduid("[APPENDUID 38505 3955] APPEND completed", v, u));
    CHECK(v == 38505);
    CHECK(u == 3955);
    CHECK_FALSE(parse_appenduid("APPEND completed", v, u));
    CHECK_FALSE(parse_appenduid("[APPENDUID 38505] odd", v, u));
    CHECK_FALSE(parse_appenduid("[APPENDUID x 1]", v, u));
}

TEST_CASE("UID lists become the fewest ranges", "[append]") {
    CHECK(compress_uids({}).empty());
    CHECK(compress_uids({1, 2, 3, 5, 7, 8}) == UidRanges{{1, 3}, {5, 5}, {7, 8}});
}
