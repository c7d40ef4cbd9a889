#include <catch2/catch.hpp>

#include "net/target_profile.hpp"

using namespace mailferry;
using namespace mailferry::net;

TEST_CASE("office365 replies are classified as Exchange means them", "[profile]") {
    const auto& p = office365_profile();
    CHECK(p.classify("Request is throttled. Suggested Backoff Time: 299961 milliseconds") == ReplyClass::throttled);
    CHECK(TargetProfile::suggested_backoff_ms("BAD Request is throttled. Suggested Backoff Time: 299961 milliseconds") ==
          299961u);
    CHECK_FALSE(TargetProfile::suggested_backoff_ms("NO Server Unavailable. 15").has_value());
    // A hostile or broken server cannot stop the run for years: capped at 10 minutes.
    CHECK(TargetProfile::suggested_backoff_ms("NO Suggested Backoff Time: 999999999999 milliseconds") == 600000u);
    CHECK(TargetProfile::suggested_backoff_ms("NO Suggested Backoff Time: 99999999999999999999999") == 600000u);
    CHECK(p.classify("Server Unavailable. 15") == ReplyClass::temporary);
    CHECK(p.classify("Maximum size of appendable message has been exceeded") == ReplyClass::too_big);
    CHECK(p.classify("[OVERQUOTA] Quota exceeded") == ReplyClass::quota);
    CHECK(p.classify("Command Argument Error. 11") == ReplyClass::rejected);
    REQUIRE(p.stuck_account("NO Server Unavailable. 15") != nullptr);
    CHECK(p.stuck_account("NO Server Unavailable. 15")->kind == ErrorKind::quota);
    CHECK(p.stuck_account("BAD User is authenticated but not connected.")->kind == ErrorKind::auth);
    CHECK(generic_profile().stuck_account("NO Server Unavailable. 15") == nullptr);
    CHECK(p.is_reserved("Outbox"));
    CHECK(p.is_reserved("rss feeds"));
    CHECK_FALSE(p.is_reserved("Projects"));
    CHECK(&profile_for_host("OUTLOOK.office365.com") == &office365_profile());
    CHECK(&profile_for_host("imap.example.org") == &generic_profile());
    CHECK(find_profile("nope") == nullptr);
}
