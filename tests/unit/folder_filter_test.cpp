#include <catch2/catch.hpp>

#include "pipeline/folder_filter.hpp"

using namespace mailferry;
using namespace mailferry::pipeline;

TEST_CASE("IMAP wildcards: '*' crosses the delimiter, '%' does not", "[filter]") {
    CHECK(wildcard_match("*", "a/b/c", '/'));
    CHECK(wildcard_match("a/*", "a/b/c", '/'));
    CHECK(wildcard_match("a/%", "a/b", '/'));
    CHECK_FALSE(wildcard_match("a/%", "a/b/c", '/'));
    CHECK(wildcard_match("%", "Sent", '/'));
    CHECK_FALSE(wildcard_match("%", "Lists/dev", '/'));
    CHECK(wildcard_match("Li*dev*", "Lists/dev@maven", '/'));
    CHECK_FALSE(wildcard_match("Sent", "Sent Items", '/'));
}

TEST_CASE("IMAP wildcards: each wildcard backtracks on its own", "[filter]") {
    // One shared backtrack point lost '*' once '%' was reached.
    const struct {
        const char* pattern;
        const char* name;
        bool match;
    } table[] = {
        {"*/%", "a/b/c", true},     {"*/%", "a", false},       {"%/*", "a/b/c", true},
        {"*/b/%", "x/y/b/c", true}, {"%/%", "a/b/c", false},   {"*a*b", "xaybzb", true},
        {"*%*", "", true},          {"a*%", "a/b", true},      {"%b", "a/b", false},
        {"**", "anything", true},   {"*x", "yyyyyyyy", false}, {"", "", true},
        {"", "a", false},           {"a%c", "abc", true},      {"a%c", "a/c", false},
    };
    for (const auto& row : table) {
        CAPTURE(row.pattern, row.name);
        CHECK(wildcard_match(row.pattern, row.name, '/') == row.match);
    }
    // Linear rows: a long hostile pattern against a long name stays quick.
    std::string pattern(200, '*'), name(4000, 'a');
    CHECK(wildcard_match(pattern + "b", name, '/') == false);
}

TEST_CASE("folder filter: --folder selects, --exclude wins, INBOX matches in any case", "[filter]") {
    SourceFolder inbox{"INBOX", "INBOX", '/', "", true};
    SourceFolder sent{"Sent", "Sent", '/', "\\Sent", true};
    SourceFolder jp{"&ZeVnLIqe-/&U9dP4Xux-", "日本語/受信箱", '/', "", true};
    CHECK(FolderFilter({}, {}).accepts(sent));
    CHECK(FolderFilter({"inbox"}, {}).accepts(inbox));
    CHECK_FALSE(FolderFilter({"inbox"}, {}).accepts(sent));
    CHECK(FolderFilter({"日本語/*"}, {}).accepts(jp));
    CHECK(FolderFilter({"&ZeVnLIqe-/*"}, {}).accepts(jp));
    CHECK_FALSE(FolderFilter({"*"}, {"Sent"}).accepts(sent));
}
