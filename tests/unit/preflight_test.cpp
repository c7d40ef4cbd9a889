#include <catch2/catch.hpp>

#include "pipeline/long_line_repair.hpp"
#include "pipeline/preflight.hpp"

using namespace mailferry;
using namespace mailferry::pipeline;

namespace {

size_t longest_line(const std::string& s) {
    size_t longest = 0, start = 0;
    for (size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == '\n') {
            longest = std::max(longest, i - start - (i > start && s[i - 1] == '\r' ? 1 : 0));
            start = i + 1;
        }
    return longest;
}

}  // namespace

TEST_CASE("the wire form has CRLF and no NUL, and counts each repair", "[preflight]") {
    auto w = to_wire(std::string("A: b\nC: d\r\n\r\nx\ry\0z\r\n", 20), false);
    CHECK(w.bytes == "A: b\r\nC: d\r\n\r\nx\r\nyz\r\n");
    CHECK(w.line_endings_repaired == 2);
    CHECK(w.nul_removed == 1);
    auto already = to_wire("A: b\r\n\r\nbody\r\n", false);
    CHECK(already.line_endings_repaired == 0);
}

TEST_CASE("read receipts are disarmed in the header only", "[preflight]") {
    auto w = to_wire("Subject: x\nDisposition-Notification-To: a@b\n\nDisposition-Notification-To: not a header\n", true);
    CHECK(w.receipt_disarmed);
    CHECK(w.bytes.find("X-Mailferry-Disarmed-Disposition-Notification-To: a@b") != std::string::npos);
    CHECK(w.bytes.find("\r\nDisposition-Notification-To: not a header") != std::string::npos);
}

TEST_CASE("pre-flight finds what Exchange refuses or mangles", "[preflight]") {
    const auto& o365 = net::office365_profile();
    std::string longline = "Subject: x\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n" + std::string(12000, 'a') + "\r\n";
    auto f = inspect_message(longline, o365, 35000000);
    CHECK(f.long_lines);
    CHECK(f.longest_line == 12000);
    CHECK(f.no_message_id);
    CHECK_FALSE(f.no_date);
    CHECK_FALSE(f.blocking_reason(o365, longline.size(), 35000000).empty());
    CHECK(inspect_message(longline, o365, 100).too_big);
    CHECK(inspect_message("From: Ren\xe9 <r@x>\r\n\r\nb", o365, 0).eight_bit_headers);
    CHECK_FALSE(inspect_message(longline, net::generic_profile(), 0).long_lines);
}

TEST_CASE("long-line repair re-encodes only the offending part", "[preflight][repair]") {
    std::string long_text(15000, 'x');
    long_text[700] = ' ';
    std::string attachment(11000, 'B');
    std::string msg =
        "From: a@b\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\n"
        "preamble\r\n--XyZ\r\nContent-Type: text/plain\r\n\r\nshort and untouched\r\n"
        "--XyZ\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + long_text + "\r\n"
        "--XyZ\r\nContent-Type: application/octet-stream\r\n\r\n" + attachment + "\r\n--XyZ--\r\nepilogue\r\n";
    auto r = repair_long_lines(msg, 10000);
    INFO(r.failure);
    REQUIRE(r.failure.empty());
    CHECK(r.parts_reencoded == 2);
    CHECK(longest_line(r.bytes) <= 76 + 1);
    CHECK(r.bytes.find("preamble\r\n--XyZ\r\nContent-Type: text/plain\r\n\r\nshort and untouched\r\n--XyZ") != std::string::npos);
    CHECK(r.bytes.find("Content-Transfer-Encoding: quoted-printable") != std::string::npos);
    CHECK(r.bytes.find("Content-Transfer-Encoding: base64") != std::string::npos);
    CHECK(r.bytes.find("Content-Transfer-Encoding: 8bit") == std::string::npos);
    CHECK(r.bytes.find("--XyZ--\r\nepilogue\r\n") != std::string::npos);
}

TEST_CASE("quoted-printable and base64 encoders follow RFC 2045", "[preflight][repair]") {
    CHECK(encode_quoted_printable("a=b \r\nc\t") == "a=3Db=20\r\nc=09");
    std::string qp = encode_quoted_printable(std::string(200, 'z'));
    CHECK(longest_line(qp) <= 76);
    CHECK(encode_base64_lines("Man") == "TWFu\r\n");
    CHECK(encode_base64_lines("Ma") == "TWE=\r\n");
    CHECK(longest_line(encode_base64_lines(std::string(1000, 'q'))) == 76);
}

TEST_CASE("header lines too long to send are folded at white space, or the message is refused", "[preflight][repair]") {
    std::string words;
    for (int i = 0; i < 2000; ++i) words += "word" + std::to_string(i) + " ";
    auto ok = repair_long_lines("To: " + words + "\r\nSubject: s\r\n\r\nbody\r\n", 1000);
    CHECK(ok.failure.empty());
    CHECK(ok.headers_folded > 0);
    CHECK(longest_line(ok.bytes) <= 1000);
    auto bad = repair_long_lines("X-Blob: " + std::string(5000, 'k') + "\r\n\r\nbody\r\n", 1000);
    CHECK_FALSE(bad.failure.empty());
}

TEST_CASE("long-line repair: a header line it cannot fold counts no fold (fuzz: long_line_repair)",
          "[preflight][repair]") {
    // One fold at the blank after the colon, then no blank left: the header is
    // kept as it was, so no fold may be reported.
    auto r = repair_long_lines("X-Blob: " + std::string(5000, 'k') + "\r\n\r\nbody\r\n", 1000);
    CHECK_FALSE(r.failure.empty());
    CHECK(r.headers_folded == 0);
}

TEST_CASE("long-line repair: a long line in a multipart preamble, delimiter or epilogue is a failure (fuzz: "
          "long_line_repair)", "[preflight][repair]") {
    const std::string long_line(12000, 'p');
    const std::string part = "--b\r\nContent-Type: text/plain\r\n\r\nshort\r\n";
    const std::string head = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (const std::string& msg : {head + long_line + "\r\n" + part + "--b--\r\n",
                                   head + part + "--b--\r\n" + long_line + "\r\n",
                                   head + "--b" + long_line + "\r\nContent-Type: text/plain\r\n\r\nshort\r\n--b--\r\n"}) {
        auto r = repair_long_lines(msg, 10000);
        // Replay sends what comes back without failure as it is: it must fit.
        CHECK_FALSE(r.failure.empty());
        if (r.failure.empty()) CHECK(longest_line(r.bytes) <= 10000);
    }
}

#include "pipeline/verify_target.hpp"

TEST_CASE("verify --target: Message-IDs compared without brackets, case or space, sizes within a factor of two",
          "[verify]") {
    using mailferry::pipeline::normalized_message_id;
    using mailferry::pipeline::plausible_size;
    CHECK(normalized_message_id(" <ABC@Example.COM> ") == "abc@example.com");
    CHECK(normalized_message_id("abc@example.com") == "abc@example.com");
    CHECK(normalized_message_id("").empty());
    CHECK(plausible_size(100000, 130000));
    CHECK(plausible_size(1000, 60000));  // small messages grow by Exchange's headers
    CHECK_FALSE(plausible_size(1000000, 300000));
    CHECK_FALSE(plausible_size(100000, 400000));
}
