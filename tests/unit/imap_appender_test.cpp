#include <catch2/catch.hpp>

#include "wrap/imap_appender.hpp"
#include "wrap/imap_session.hpp"
#include "core/clock.hpp"

#include <string>

using namespace mailferry::wrap;

TEST_CASE("APPEND arguments are written as RFC 3501 wants them", "[append]") {
    CHECK(imap_quote("Sent Items") == "\"Sent Items\"");
    CHECK(imap_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(*imap_date_time(1709208000) == "29-Feb-2024 12:00:00 +0000");
    CHECK(*imap_date_time(0) == "01-Jan-1970 00:00:00 +0000");
    CHECK(*imap_date_time(mailferry::kLatestEpoch) == "31-Dec-9999 23:59:59 +0000");
    CHECK(*imap_date_time(mailferry::kEarliestEpoch) == "01-Jan-0001 00:00:00 +0000");
    CHECK_FALSE(imap_date_time(mailferry::kLatestEpoch + 1).ok());
    CHECK_FALSE(imap_date_time(INT64_MIN).ok());
}

TEST_CASE("APPEND: nothing from a message reaches the command line unless it is one IMAP token", "[append]") {
    AppendCommand c;
    c.mailbox = "Sent Items";
    c.flags = "\\Seen \\Flagged $Forwarded Wichtig";
    c.internaldate = 1709208000;
    auto head = append_head("mf7", c);
    REQUIRE(head.ok());
    CHECK(*head == "mf7 APPEND \"Sent Items\" (\\Seen \\Flagged $Forwarded Wichtig) \"29-Feb-2024 12:00:00 +0000\" ");

    // Each of these would end the flag list or the line early; with LITERAL+
    // the server would then read the message body as commands.
    for (const char* flags : {"x)", "a(b", "{5}", "a b\r\nmf9 CREATE Pwned", "k\"", "k\\", "k]", "%", "*",
                              "\\Seen)", "\\Bogus", "caf\xc3\xa9", "tab\there"}) {
        CAPTURE(flags);
        AppendCommand bad = c;
        bad.flags = flags;
        auto r = append_head("mf8", bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().radius == mailferry::Radius::message);
        CHECK(r.error().kind == mailferry::ErrorKind::invalid_data);
    }
    for (const std::string& mailbox : {std::string(), std::string("a\r\nb"), std::string("a\0b", 3), std::string("\xc3\x9c")}) {
        AppendCommand bad = c;
        bad.mailbox = mailbox;
        CHECK_FALSE(append_head("mf8", bad).ok());
    }
    // flag-list is flag *(SP flag): a stray space is an empty flag, and a
    // server that answers BAD to it drops a LITERAL+ connection (fuzz: append_command).
    for (const char* flags : {"\\Seen ", " \\Seen", "\\Seen  Wichtig", " "}) {
        CAPTURE(flags);
        AppendCommand bad = c;
        bad.flags = flags;
        CHECK_FALSE(append_head("mf8", bad).ok());
    }
    AppendCommand late = c;
    late.internaldate = mailferry::kLatestEpoch + 1;
    CHECK_FALSE(append_head("mf8", late).ok());
    AppendCommand none = c;
    none.flags = "";
    CHECK(*append_head("mf1", none) == "mf1 APPEND \"Sent Items\" () \"29-Feb-2024 12:00:00 +0000\" ");
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
    // Cut so each piece's text "1:3,5,7:8" fits the limit; nothing lost or reordered.
    CHECK(split_uid_set({}, 10).empty());
    CHECK(split_uid_set({{1, 3}, {5, 5}, {7, 8}}, 9) == std::vector<UidRanges>{{{1, 3}, {5, 5}, {7, 8}}});
    CHECK(split_uid_set({{1, 3}, {5, 5}, {7, 8}}, 8) == std::vector<UidRanges>{{{1, 3}, {5, 5}}, {{7, 8}}});
    CHECK(split_uid_set({{100, 0}}, 2) == std::vector<UidRanges>{{{100, 0}}});  // one range is never cut
    UidRanges scattered;
    for (uint32_t u = 1000000; u < 1000000 + 2 * 5000; u += 2) scattered.emplace_back(u, u);
    auto pieces = split_uid_set(scattered, 4000);
    CHECK(pieces.size() > 1);
    UidRanges joined;
    for (const auto& p : pieces) {
        std::string text;
        for (const auto& [a, b] : p) text += std::to_string(a) + (a == b ? "" : ":" + std::to_string(b)) + ",";
        CHECK(text.size() - 1 <= 4000);
        joined.insert(joined.end(), p.begin(), p.end());
    }
    CHECK(joined == scattered);
}
