#include <catch2/catch.hpp>

#include "wrap/pop3_reply.hpp"

using namespace mailferry::wrap;

TEST_CASE("POP3 multi-line answers are dot-unstuffed and nothing else", "[pop3]") {
    struct Row {
        const char* raw;
        MultilineStep step;
        const char* line;
    };
    const Row table[] = {
        {".\r\n", MultilineStep::end, ""},
        {".\n", MultilineStep::end, ""},
        {"..\r\n", MultilineStep::line, ".\r\n"},
        {"..From x\r\n", MultilineStep::line, ".From x\r\n"},
        {"text\n", MultilineStep::line, "text\n"},
        {"text", MultilineStep::truncated, ""},
        {"", MultilineStep::truncated, ""},
    };
    for (const auto& row : table) {
        CAPTURE(row.raw);
        std::string_view line;
        CHECK(multiline_step(row.raw, line) == row.step);
        if (row.step == MultilineStep::line) CHECK(line == row.line);
    }
}

TEST_CASE("POP3 UIDLs go to their LIST numbers whatever the order", "[pop3]") {
    std::vector<Pop3Listing> listings;
    for (const char* l : {"5 4\r\n", "2 0\r\n", "4294967295 10\r\n", "junk\r\n"})
        if (auto m = parse_list_line(l)) listings.push_back(*m);
    REQUIRE(listings.size() == 3);
    std::vector<std::pair<uint32_t, std::string>> uidls;
    for (const char* l : {"2 abc\r\n", "4294967295 last\r\n", "7 unlisted\r\n"})
        if (auto u = parse_uidl_line(l)) uidls.push_back(*u);
    // Unsorted, and a number whose +1 wraps: both used to index past the end (fuzzer).
    attach_uidls(listings, uidls);
    CHECK(listings[0].uidl == "");
    CHECK(listings[1].uidl == "abc");
    CHECK(listings[2].uidl == "last");
}
