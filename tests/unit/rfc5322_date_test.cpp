#include <catch2/catch.hpp>

#include "core/rfc5322_date.hpp"

using namespace mailferry;

TEST_CASE("Date: values as real mail writes them", "[date]") {
    struct Row {
        const char* value;
        int64_t epoch;
    };
    const Row table[] = {
        {"Tue, 1 Jul 2003 10:52:37 +0200", 1057049557},
        {"Tue, 01 Jul 2003 10:52:37 +0200 (CEST)", 1057049557},
        {"1 Jul 2003 10:52:37 +0200", 1057049557},
        {"Tue 1 Jul 2003 10:52:37 +0200", 1057049557},
        {"Tue,1 Jul 2003 10:52:37 +0200", 1057049557},
        {"  Tue, 1 Jul 2003 08:52:37 GMT", 1057049557},
        {"Tue, 1 Jul 2003 08:52:37 UT", 1057049557},
        {"Tue, 1 Jul 2003 08:52:37", 1057049557},
        {"Tue, 1 Jul 03 08:52:37 Z", 1057049557},
        {"Tue, 1 Jul 2003 04:52:37 EDT", 1057049557},
        {"Tue, 1 Jul 2003 08:52 +0000", 1057049520},
        {"Tue, 1 Jul 2003 08:52:37 XYZ", 1057049557},
        {"Tue, 1 Jul 2003 08:52:37.123 +0000", 1057049557},
        {"Tue, 1 Jul 2003 10:52:37 +02:00", 1057049557},
        {"Tuesday, 1 July 2003 08:52:37 +0000", 1057049557},
        {"Tue Jul  1 08:52:37 2003", 1057049557},
        {"Tue Jul  1 10:52:37 +0200 2003", 1057049557},
        {"Fri, 31 Dec 1999 23:59:60 +0000", 946684799},
        {"Thu, 1 Jan 1970 00:00:00 +0000", 0},
        {"Wed, 31 Dec 1969 00:00:00 +0000", -86400},
        {"Sat, 1 Jan 99 00:00:00 +0000", 915148800},
        {"Sat, 1 Jan 103 00:00:00 +0000", 1041379200},
    };
    for (const auto& r : table) {
        CAPTURE(r.value);
        auto got = parse_rfc5322_date(r.value);
        REQUIRE(got.has_value());
        CHECK(*got == r.epoch);
    }
}

TEST_CASE("Date: values that are not dates give nothing", "[date]") {
    for (const char* v : {"", "yesterday", "Tue, 32 Jul 2003 10:52:37 +0200", "Tue, 29 Feb 2003 10:52:37 +0200",
                          "Tue, 1 Foo 2003 10:52:37 +0200", "Tue, 1 Jul 2003 25:52:37 +0200", "Tue, 1 Jul 2003",
                          "1 Jul 2003 10:61 +0200", "\xd0\x92\xd1\x82, 1 \xd0\xb8\xd1\x8e\xd0\xbb 2003 10:52:37"}) {
        CAPTURE(v);
        CHECK_FALSE(parse_rfc5322_date(v).has_value());
    }
}
