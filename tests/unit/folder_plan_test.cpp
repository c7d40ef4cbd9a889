#include <catch2/catch.hpp>

#include "pipeline/folder_plan.hpp"

using namespace mailferry;
using namespace mailferry::pipeline;

namespace {

// Exchange's folders, localised: the roles, not the names, must drive the plan.
const std::vector<PlanTarget> kExchangeDe = {
    {"INBOX", ""}, {"Gesendete Elemente", "\\Sent"}, {"Gelöschte Elemente", "\\Trash"},
    {"Junk-E-Mail", "\\Junk"}, {"Entwürfe", "\\Drafts"}, {"Archiv", "\\Archive"}, {"Kalender", ""},
};

PlanOptions o365() {
    PlanOptions o;
    o.profile = &net::office365_profile();
    return o;
}

const PlannedFolder& find(const std::vector<PlannedFolder>& plan, const std::string& source) {
    for (const auto& p : plan)
        if (p.source_name == source) return p;
    FAIL("no plan for " << source);
    throw;
}

}  // namespace

TEST_CASE("folder plan: roles first, then well-known names, then the name itself", "[plan]") {
    std::vector<PlanSource> src = {
        {1, "INBOX", '/', ""},
        {2, "Sent", '/', "\\Sent"},
        {3, "Papierkorb", '/', "\\Trash"},
        {4, "[Gmail]/Spam", '/', ""},
        {5, "INBOX.Drafts", '.', ""},
        {6, "Deleted Messages", '/', ""},
        {7, "Projects/2024", '/', ""},
        {8, "Lists/dev@maven.apache.org", '/', ""},
    };
    auto plan = plan_folders(src, kExchangeDe, o365());
    CHECK(find(plan, "INBOX").target_name == "INBOX");
    CHECK(find(plan, "Sent").target_name == "Gesendete Elemente");
    CHECK(find(plan, "Sent").rule == "role \\Sent");
    CHECK(find(plan, "Papierkorb").target_name == "Gelöschte Elemente");
    CHECK(find(plan, "[Gmail]/Spam").target_name == "Junk-E-Mail");
    CHECK(find(plan, "INBOX.Drafts").target_name == "Entwürfe");
    CHECK(find(plan, "Deleted Messages").target_name == "Gelöschte Elemente");
    CHECK_FALSE(find(plan, "Deleted Messages").notes.empty());  // merged with Papierkorb, and said so
    CHECK(find(plan, "Projects/2024").target_name == "Projects/2024");
    CHECK(find(plan, "Projects/2024").rule == "same name");
    CHECK(find(plan, "Sent").exists);
    CHECK_FALSE(find(plan, "Projects/2024").exists);
}

TEST_CASE("folder plan: separators, reserved names and case collisions are handled and noted", "[plan]") {
    std::vector<PlanSource> src = {
        {1, "a/b.c", '.', ""},      // '/' inside a level of a '.'-separated source
        {2, "Outbox", '/', ""},
        {3, "Calendar/Old", '/', ""},
        {4, "Reports", '/', ""},
        {5, "reports", '/', ""},
    };
    auto plan = plan_folders(src, kExchangeDe, o365());
    CHECK(find(plan, "a/b.c").target_name == "a_b/c");
    CHECK_FALSE(find(plan, "a/b.c").notes.empty());
    CHECK(find(plan, "Outbox").target_name == "Outbox (migrated)");
    CHECK(find(plan, "Calendar/Old").target_name == "Calendar (migrated)/Old");
    CHECK(find(plan, "Reports").target_name == "Reports");
    CHECK(find(plan, "reports").target_name == "reports (2)");
    CHECK_FALSE(find(plan, "reports").notes.empty());
}

TEST_CASE("folder plan: the folder map and the target prefix", "[plan]") {
    auto map = parse_folder_map("# comment\n\nSent = Archiv/Altes Gesendet\n  Projects/2024 = Work \n", "map.txt");
    REQUIRE(map.ok());
    REQUIRE(map->size() == 2);
    CHECK((*map)[1].line == 4);
    PlanOptions o = o365();
    o.folder_map = *map;
    std::vector<PlanSource> src = {{1, "Sent", '/', "\\Sent"}, {2, "Projects/2024", '/', ""}, {3, "INBOX", '/', ""}};
    auto plan = plan_folders(src, kExchangeDe, o);
    CHECK(find(plan, "Sent").target_name == "Archiv/Altes Gesendet");
    CHECK(find(plan, "Sent").rule == "folder map");
    CHECK(find(plan, "Projects/2024").target_name == "Work");

    PlanOptions prefixed = o365();
    prefixed.target_prefix = "Old account";
    auto under = plan_folders(src, kExchangeDe, prefixed);
    CHECK(find(under, "INBOX").target_name == "Old account/INBOX");
    CHECK(find(under, "Sent").target_name == "Old account/Sent");
    CHECK(find(under, "Projects/2024").target_name == "Old account/Projects/2024");

    auto bad = parse_folder_map("Sent -> Gesendet\n", "map.txt");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("map.txt:1") != std::string::npos);

    // An empty level names no folder: "/" alone used to plan a target called "".
    for (const char* target : {"/", "a//b", "/a", "a/", "a/ /b"}) {
        CAPTURE(target);
        auto empty = parse_folder_map(std::string("Sent = ") + target + "\n", "map.txt");
        REQUIRE_FALSE(empty.ok());
        CHECK(empty.error().message.find("map.txt:1: empty level") != std::string::npos);
    }
}
