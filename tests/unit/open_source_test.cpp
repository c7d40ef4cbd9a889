#include <catch2/catch.hpp>

#include <string>

#include "net/open_source.hpp"

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
        CHECK(source_kind_name(source_kind(*url)) == row.name);
    }
}

TEST_CASE("each source kind has the name the cache records", "[open_source]") {
    CHECK(source_kind_name(SourceKind::imap) == "imap");
    CHECK(source_kind_name(SourceKind::pop3) == "pop3");
}
