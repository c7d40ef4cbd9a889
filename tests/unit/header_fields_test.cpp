#include <catch2/catch.hpp>

#include "mime/header_fields.hpp"

using mailferry::mime::read_header_fields;

TEST_CASE("header fields are unfolded, first occurrence wins, body is ignored", "[mime]") {
    auto h = read_header_fields(
        "From: Alice <a@example.com>\r\n"
        "Subject: a long\r\n"
        "\tsubject line\r\n"
        "Subject: second\r\n"
        "message-id:   <x@y>  \r\n"
        "\r\n"
        "To: not-a-header@example.com\r\n");
    CHECK(h.from == "Alice <a@example.com>");
    CHECK(h.subject == "a long subject line");
    CHECK(h.message_id == "<x@y>");
    CHECK(h.to.empty());
}

TEST_CASE("bare LF, NUL bytes and no header at all are survived", "[mime]") {
    std::string nul("Subject: a\0b\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody", 55);
    auto h = read_header_fields(nul);
    CHECK(h.subject == "ab");
    CHECK(h.date == "Mon, 1 Jan 2024 00:00:00 +0000");
    CHECK(read_header_fields("just a body line without colon\n").subject.empty());
    CHECK(read_header_fields("").from.empty());
    std::string huge = "To: " + std::string(200000, 'x') + "\n\n";
    CHECK(read_header_fields(huge).to.size() == 1000);
}
