// for_each_attachment on built messages: which parts are attachments, their
// bytes after the transfer encoding, their decoded names, nesting, and the
// limits. Names here are as the message gives them (unsafe); making them safe
// file names is attachment_saver_test's part.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mime/attachments.hpp"

using namespace mailferry::mime;

namespace {

struct Got {
    std::string name, type, bytes;
    bool decoded = true;
};

std::vector<Got> attachments_of(const std::string& message, AttachmentScan* scan = nullptr,
                                const TextLimits& limits = attachment_limits()) {
    std::vector<Got> out;
    AttachmentScan s = for_each_attachment(
        message,
        [&](const Attachment& a) {
            out.push_back({a.name, a.content_type, std::string(a.bytes), a.decoded});
            return true;
        },
        limits);
    CHECK(s.found == out.size());
    if (scan) *scan = s;
    return out;
}

std::string all_bytes() {
    std::string b;
    for (int i = 0; i < 256; ++i) b += static_cast<char>(i);
    return b;
}

// Bytes 0..255, encoded by Python's base64.encodebytes (not by our encoder).
const std::string kAllBytesBase64 =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\r\n"
    "OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\r\n"
    "cnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmq\r\n"
    "q6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj\r\n"
    "5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\r\n";

std::string mixed(const std::vector<std::string>& parts, const std::string& boundary = "b") {
    std::string m = "From: a@example.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\npreamble\r\n";
    for (const auto& p : parts) m += "--" + boundary + "\r\n" + p + "\r\n";
    return m + "--" + boundary + "--\r\n";
}

const std::string kText = "Content-Type: text/plain; charset=utf-8\r\n\r\nthe body, not an attachment";

}  // namespace

TEST_CASE("base64 and quoted-printable attachments come out byte for byte", "[attachments]") {
    auto got = attachments_of(mixed({kText,
                                     "Content-Type: application/octet-stream; name=all.bin\r\n"
                                     "Content-Disposition: attachment; filename=all.bin\r\n"
                                     "Content-Transfer-Encoding: base64\r\n\r\n" + kAllBytesBase64,
                                     "Content-Type: text/plain; charset=iso-8859-1\r\n"
                                     "Content-Disposition: attachment; filename=\"qp.txt\"\r\n"
                                     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                                     "caf=E9 and a soft =\r\nbreak\r\nline two =3D end",
                                     "Content-Type: application/octet-stream\r\n"
                                     "Content-Disposition: attachment; filename=raw.bin\r\n"
                                     "Content-Transfer-Encoding: binary\r\n\r\n"
                                     "exact\r\nbytes\x01\xff",
                                     "Content-Type: application/x-thing; name=uu.bin\r\n"
                                     "Content-Transfer-Encoding: x-uuencode\r\n\r\n"
                                     "begin 644 uu.bin\r\n#86)C\r\n`\r\nend"}));
    REQUIRE(got.size() == 4);
    CHECK(got[0].name == "all.bin");
    CHECK(got[0].type == "application/octet-stream");
    CHECK(got[0].bytes == all_bytes());
    CHECK(got[1].name == "qp.txt");
    CHECK(got[1].bytes == "caf\xe9 and a soft break\r\nline two = end");
    CHECK(got[2].bytes == "exact\r\nbytes\x01\xff");  // the line break before the delimiter is not content
    CHECK(got[3].name == "uu.bin");
    CHECK_FALSE(got[3].decoded);  // x-uuencode: handed out as sent, and said so
    CHECK(got[3].bytes == "begin 644 uu.bin\r\n#86)C\r\n`\r\nend");
    for (size_t i = 0; i < 3; ++i) CHECK(got[i].decoded);
}

TEST_CASE("RFC 2231 and RFC 2047 file names are decoded", "[attachments]") {
    auto got = attachments_of(mixed({
        "Content-Type: text/plain; name=ignored.txt\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''n%C3%B6tes.txt\r\n\r\nx",
        "Content-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename*0*=UTF-8''%E2%82%AC%20;\r\n filename*1=\"report.pdf\"\r\n\r\nx",
        "Content-Type: application/pdf; name=\"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=\"\r\n\r\nx",
        "Content-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename=\"=?ISO-8859-1?B?/GJlcg==?= =?ISO-8859-1?Q?_mich.pdf?=\"\r\n\r\nx",
        "Content-Type: image/png; name=\"=?koi8-r?b?8NLJ18XU?=.png\"\r\nContent-Disposition: inline\r\n\r\nx",
    }));
    REQUIRE(got.size() == 5);
    CHECK(got[0].name == "nötes.txt");  // the disposition's filename wins over the type's name
    CHECK(got[1].name == "€ report.pdf");
    CHECK(got[2].name == "résumé.pdf");
    CHECK(got[3].name == "über mich.pdf");
    CHECK(got[4].name == "Привет.png");  // an inline image with a name is saved too
}

TEST_CASE("nested multiparts and attached messages give every attachment, in order", "[attachments]") {
    const std::string inner_message =
        "From: b@example.com\r\nSubject: =?utf-8?q?Fw=3A_Q3_=E2=80=93_numbers?=\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=inner\r\n\r\n"
        "--inner\r\nContent-Type: text/plain\r\n\r\nsee the sheet\r\n"
        "--inner\r\nContent-Type: text/csv; name=q3.csv\r\nContent-Disposition: attachment; filename=q3.csv\r\n\r\n"
        "a,b\r\n1,2\r\n--inner--\r\n";
    const std::string related =
        "Content-Type: multipart/alternative; boundary=alt\r\n\r\n"
        "--alt\r\n" + kText + "\r\n"
        "--alt\r\nContent-Type: multipart/related; boundary=rel\r\n\r\n"
        "--rel\r\nContent-Type: text/html\r\n\r\n<p>hi <img src=cid:logo></p>\r\n"
        "--rel\r\nContent-Type: image/gif\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "R0lGODlhAQABAAAAACw=\r\n--rel--\r\n"
        "--alt--";
    auto got = attachments_of(mixed({related,
                                     "Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" +
                                         inner_message,
                                     "Content-Type: message/rfc822; name=forwarded.eml\r\n\r\n" + inner_message,
                                     "Content-Type: message/rfc822\r\n\r\n" + inner_message}));
    REQUIRE(got.size() == 6);
    CHECK(got[0].name.empty());  // the unnamed inline image of the HTML alternative
    CHECK(got[0].type == "image/gif");
    CHECK(got[0].bytes == std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00,", 14));
    CHECK(got[1].name == "Fw: Q3 – numbers.eml");  // an attached message: its Subject names it
    CHECK(got[1].type == "message/rfc822");
    CHECK(got[1].bytes == inner_message);  // whole, as sent
    CHECK(got[2].name == "q3.csv");  // its own attachment follows it
    CHECK(got[2].bytes == "a,b\r\n1,2");
    CHECK(got[3].name == "forwarded.eml");
    CHECK(got[4].name == "q3.csv");
    CHECK(got[5].name == "q3.csv");  // an inline embedded message is not a file, its attachment is
}

TEST_CASE("a part without a name is an attachment when no reader would see it otherwise", "[attachments]") {
    auto got = attachments_of(mixed({kText,
                                     "Content-Type: text/html\r\n\r\n<p>shown as text</p>",
                                     "Content-Type: application/octet-stream\r\n\r\nunnamed bytes",
                                     "Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nattached text",
                                     "Content-Type: image/png\r\n\r\n  \r\n",  // blank: nothing to save
                                     "Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR"}));
    REQUIRE(got.size() == 3);
    CHECK(got[0].type == "application/octet-stream");
    CHECK(got[0].bytes == "unnamed bytes");
    CHECK(got[1].type == "text/plain");
    CHECK(got[1].bytes == "attached text");
    CHECK(got[2].type == "text/calendar");
    for (const auto& g : got) CHECK(g.name.empty());
    CHECK(attachments_of("Subject: plain\r\n\r\njust text\r\n").empty());
    // A message that is one attachment, without any multipart.
    auto single = attachments_of("Subject: scan\r\nContent-Type: application/pdf; name=scan.pdf\r\n"
                                 "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n");
    REQUIRE(single.size() == 1);
    CHECK(single[0].bytes == "%PDF-");
}

TEST_CASE("hostile names come out as the message gives them, for the saver to sanitise", "[attachments]") {
    auto got = attachments_of(mixed({
        "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nx",
        "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=\"a/b\\\\c\"\r\n\r\nx",
        "Content-Type: text/plain\r\nContent-Disposition: attachment; filename*=UTF-8''new%0Aline%00nul%0D.txt\r\n\r\nx",
        "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=" + std::string(5000, 'n') + "\r\n\r\nx",
    }));
    REQUIRE(got.size() == 4);
    CHECK(got[0].name == "../../etc/passwd");
    CHECK(got[1].name == "a/b\\c");
    CHECK(got[2].name.find('\n') == std::string::npos);  // one line: control characters are blanks
    CHECK(got[2].name.find('\0') == std::string::npos);
    CHECK(got[3].name.size() == kMaxNameBytes);  // a name is bounded before it reaches the file system
}

TEST_CASE("attachment limits hold on hostile structure, and nothing crashes", "[attachments]") {
    SECTION("nesting deeper than the limit") {
        std::string deep;
        for (int i = 0; i < 5000; ++i)
            deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
        deep += "Content-Type: application/pdf; name=deep.pdf\n\nx\n";
        AttachmentScan scan;
        CHECK(attachments_of(deep, &scan).empty());
        CHECK_FALSE(scan.parsed);
        CHECK(scan.problem.find("nesting") != std::string::npos);
    }
    SECTION("nested attached messages deeper than the limit") {
        std::string deep = "Content-Type: application/pdf; name=bottom.pdf\n\nx\n";
        for (int i = 0; i < 3000; ++i) deep = "Content-Type: message/rfc822; name=m.eml\n\n" + deep;
        AttachmentScan scan;
        auto got = attachments_of(deep, &scan);
        CHECK(got.size() <= attachment_limits().max_depth);
        CHECK_FALSE(scan.parsed);
    }
    SECTION("more parts than the limit") {
        std::vector<std::string> parts(2000, "Content-Type: application/pdf; name=p.pdf\r\n\r\nx");
        AttachmentScan scan;
        auto got = attachments_of(mixed(parts), &scan);
        CHECK(got.size() < attachment_limits().max_parts);
        CHECK(got.size() > 100);
        CHECK_FALSE(scan.parsed);
        CHECK(scan.problem.find("MIME parts") != std::string::npos);
    }
    SECTION("a part header over the limit") {
        TextLimits small = attachment_limits();
        small.max_header_bytes = 1024;
        AttachmentScan scan;
        auto got = attachments_of(mixed({"Content-Type: application/pdf; name=a.pdf\r\nX-Pad: " + std::string(4000, 'p') +
                                             "\r\n\r\nx",
                                         "Content-Type: application/pdf; name=b.pdf\r\n\r\ny"}),
                                  &scan, small);
        REQUIRE(got.size() == 1);
        CHECK(got[0].name == "b.pdf");
        CHECK_FALSE(scan.parsed);
    }
    SECTION("a multipart without any boundary line, and garbage") {
        AttachmentScan scan;
        CHECK(attachments_of("Content-Type: multipart/mixed; boundary=zz\r\n\r\nno parts here\r\n", &scan).empty());
        CHECK_FALSE(scan.parsed);
        CHECK(attachments_of(std::string("\0\xff\r\n\r\n--", 7)).empty());
        CHECK(attachments_of("").empty());
    }
}

TEST_CASE("the caller stops the walk by returning false", "[attachments]") {
    std::vector<std::string> parts(10, "Content-Type: application/pdf; name=p.pdf\r\n\r\nx");
    int calls = 0;
    AttachmentScan scan = for_each_attachment(mixed(parts), [&](const Attachment&) { return ++calls < 3; });
    CHECK(calls == 3);
    CHECK(scan.found == 3);
    CHECK(scan.parsed);
}
