#include <catch2/catch.hpp>

#include "net/source_url.hpp"

using namespace mailferry::net;

TEST_CASE("server addresses parse with their defaults", "[url]") {
    auto a = parse_server_url("imaps://alice@mail.example.com");
    REQUIRE(a.ok());
    CHECK(a->host == "mail.example.com");
    CHECK(a->port == 993);
    CHECK(a->security == Security::implicit_tls);
    auto b = parse_server_url("imap://bob%40example.com@127.0.0.1:1143/");
    REQUIRE(b.ok());
    CHECK(b->user == "bob@example.com");
    CHECK(b->port == 1143);
    CHECK(b->security == Security::starttls);
    CHECK(b->display() == "imap://bob%40example.com@127.0.0.1:1143");
    auto b2 = parse_server_url("imaps://bob%40example.com@127.0.0.1");
    REQUIRE(b2.ok());
    CHECK(b2->mailbox_key() == b->mailbox_key());  // one mailbox, two routes: one ledger
    CHECK(parse_server_url("imaps://A@Mail.Example.COM")->mailbox_key() == "A@mail.example.com");
    auto c = parse_server_url("imaps://carol@example.com@[::1]:9993");
    REQUIRE(c.ok());
    CHECK(c->user == "carol@example.com");
    CHECK(c->host == "::1");
    CHECK(c->server() == "[::1]:9993");
}

TEST_CASE("bad server addresses are refused with a reason", "[url]") {
    for (const char* bad : {"mail.example.com", "http://a@b", "imaps://host", "imaps://a@", "imaps://a@b:0",
                            "imaps://a@b:70000", "imaps://a@b/INBOX", "imaps://a:secret@b",
                            // the path check once ran first and quoted the whole address, password included
                            "imaps://u:secret@host/x", "imaps://u:se/cret@host", "imaps://u:secret@[::1/x",
                            "imaps://u:secret@host:99999"}) {
        CAPTURE(bad);
        auto r = parse_server_url(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("secret") == std::string::npos);  // never echo a password
    }
}

TEST_CASE("a control character in a user name is refused: it would end the LOGIN line", "[url]") {
    for (const char* bad : {"imaps://a%0D%0Ab@host", "imaps://a%00@host", "pop3s://x%0a@host", "imaps://a%7F@host"}) {
        CAPTURE(bad);
        auto r = parse_server_url(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("control character") != std::string::npos);
    }
    CHECK(parse_server_url("imaps://a%40b.example@host").ok());
}
