#include <catch2/catch.hpp>

#include <string>

#include "net/open_source.hpp"

using namespace mailferry;
using namespace mailferry::net;

TEST_CASE("a source URL's scheme decides the protocol, not its security", "[open_source]") {
    struct Row {
        std::string url;
        SourceKind kind;
        std::string name;  // as the cache's sources table records it
    };
    const Row rows[] = {
        {"imaps://alice@mail.example.com", SourceKind::imap, "imap"},
        {"imap://alice@mail.example.com:1143", SourceKind::imap, "imap"},
        {"IMAPS://alice@mail.example.com", SourceKind::imap, "imap"},
        {"pop3s://bob@pop.example.com", SourceKind::pop3, "pop3"},
        {"pop3://bob@pop.example.com:1110", SourceKind::pop3, "pop3"},
    };
    for (const Row& row : rows) {
        INFO(row.url);
        auto url = parse_server_url(row.url);
        REQUIRE(url.ok());
        CHECK(source_kind(*url) == row.kind);
        CHECK(std::string(source_kind_name(source_kind(*url))) == row.name);
    }
}

TEST_CASE("each source kind has the name the cache records, and is read back from it", "[open_source]") {
    for (SourceKind k : {SourceKind::imap, SourceKind::pop3, SourceKind::mbox, SourceKind::maildir, SourceKind::eml})
        CHECK(parse_source_kind(source_kind_name(k)) == k);
    CHECK(std::string(source_kind_name(SourceKind::imap)) == "imap");
    CHECK(std::string(source_kind_name(SourceKind::pop3)) == "pop3");
    CHECK_FALSE(parse_source_kind("gopher").has_value());
    CHECK_FALSE(parse_source_kind("").has_value());
}
