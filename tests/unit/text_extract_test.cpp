// extract_text on built messages: MIME structure, what is indexed and what
// is not, broken structure, and every limit.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "mime/charset.hpp"
#include "mime/mime_entity.hpp"
#include "mime/text_extract.hpp"

using namespace mailferry::mime;

namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

const std::string kMixed =
    "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\r\n"
    "To: a@example.com\r\n"
    "Cc: b@example.com\r\n"
    "To: c@example.com\r\n"
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= from\r\n"
    " Zürich\r\n"
    "Date: Sat, 1 Jan 2000 00:00:00 +0000\r\n"
    "Message-ID: <mixed@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "This is the preamble: not text.\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=koi8-r\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "=F0=D2=C9=D7=C5=D4 quoted-printable\r\n"
    "a line quoting --outer inside\r\n"
    "--outer\r\n"
    "Content-Type: text/html; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PHA+Y2Fm6TwvcD48c2NyaXB0PnNlY3JldDwvc2NyaXB0Pg==\r\n"  // <p>caf\xE9</p><script>secret</script>
    "--outer\r\n"
    "Content-Type: application/pdf; name=\"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=\"\r\n"
    "Content-Disposition: attachment\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "YXR0YWNobWVudHdvcmQ=\r\n"  // attachmentword
    "--outer\r\n"
    "Content-Type: text/plain; name=notes.txt\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''n%C3%B6tes.txt\r\n"
    "\r\n"
    "attachedtextword\r\n"
    "--outer--\r\n"
    "epilogue, not text\r\n";

std::string nested_multiparts(int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i)
        s += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
    return s + "Content-Type: text/plain\n\ndeepword\n";
}

}  // namespace

TEST_CASE("extract_text: header fields, text parts, attachment names, not the attachments", "[text]") {
    auto t = extract_text(kMixed);
    CHECK(t.parsed);
    CHECK(t.problem.empty());
    CHECK(t.from == "André <andre@example.com>");
    CHECK(t.to == "a@example.com, c@example.com");
    CHECK(t.cc == "b@example.com");
    CHECK(t.subject == "Grüße from Zürich");
    CHECK(t.date == "Sat, 1 Jan 2000 00:00:00 +0000");
    CHECK(t.message_id == "<mixed@example.com>");
    CHECK(t.body == "Привет quoted-printable\na line quoting --outer inside\ncafé");
    CHECK_FALSE(contains(t.body, "secret"));
    CHECK_FALSE(contains(t.body, "preamble"));
    CHECK_FALSE(contains(t.body, "epilogue"));
    CHECK_FALSE(contains(t.body, "attachmentword"));
    CHECK_FALSE(contains(t.body, "attachedtextword"));
    CHECK(t.attachment_names == std::vector<std::string>{"résumé.pdf", "nötes.txt"});
}

TEST_CASE("extract_text: LF line ends read as CRLF ones, CR-only ones too", "[text]") {
    std::string lf = kMixed;
    for (size_t p; (p = lf.find("\r\n")) != std::string::npos;) lf.erase(p, 1);
    auto a = extract_text(kMixed);
    auto b = extract_text(lf);
    CHECK(b.body == a.body);
    CHECK(b.subject == a.subject);
    CHECK(b.attachment_names == a.attachment_names);
    std::string cr = lf;
    for (char& c : cr)
        if (c == '\n') c = '\r';
    auto c = extract_text(cr);
    CHECK(c.body == a.body);
    CHECK(c.subject == a.subject);
}

TEST_CASE("extract_text: the longest alternative of multipart/alternative, embedded messages, digests", "[text]") {
    auto alt = extract_text(
        "Content-Type: multipart/alternative; boundary=a\n\n"
        "--a\nContent-Type: text/plain\n\nplain version\n"
        "--a\nContent-Type: text/html\n\n<p>html version</p>\n--a--\n");
    CHECK(alt.body == "plain version");  // as long as the HTML one: the first wins
    auto stub = extract_text(
        "Content-Type: multipart/alternative; boundary=a\n\n"
        "--a\nContent-Type: text/plain\n\nSee HTML.\n"
        "--a\nContent-Type: text/html\n\n<p>the real text</p>\n--a--\n");
    CHECK(stub.body == "the real text");
    auto html_only = extract_text(
        "Content-Type: multipart/alternative; boundary=a\n\n"
        "--a\nContent-Type: text/enriched\n\n<bold>rich</bold>\n"
        "--a\nContent-Type: multipart/related; boundary=r\n\n"
        "--r\nContent-Type: text/html\n\n<p>html version</p>\n"
        "--r\nContent-Type: image/png; name=logo.png\n\nPNG\n--r--\n--a--\n");
    CHECK(html_only.body == "html version");
    CHECK(html_only.attachment_names == std::vector<std::string>{"logo.png"});

    auto fwd = extract_text(
        "Subject: outer\nContent-Type: multipart/mixed; boundary=m\n\n"
        "--m\nContent-Type: text/plain\n\nsee below\n"
        "--m\nContent-Type: message/rfc822\n\n"
        "Subject: =?utf-8?q?inner_subj=C3=A9ct?=\nFrom: inner@example.com\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\naW5uZXIgdGV4dA==\n--m--\n");
    CHECK(fwd.subject == "outer");
    CHECK(fwd.body == "see below\ninner subjéct\ninner@example.com\ninner text");

    auto digest = extract_text(
        "Content-Type: multipart/digest; boundary=d\n\n"
        "--d\n\nSubject: first\n\none\n--d\n\nSubject: second\n\ntwo\n--d--\n");
    CHECK(digest.body == "first\none\nsecond\ntwo");
}

TEST_CASE("extract_text: boundaries that are substrings of each other, missing or unknown boundaries", "[text]") {
    auto sub = extract_text(
        "Content-Type: multipart/mixed; boundary=foo\n\n"
        "--foo\nContent-Type: multipart/alternative; boundary=foo-bar\n\n"
        "--foo-bar\nContent-Type: text/plain\n\ninner\n--foo-bar--\n"
        "--foo\nContent-Type: text/plain\n\nouter\n--foo--\n");
    CHECK(sub.parsed);
    CHECK(sub.body == "inner\nouter");

    auto unclosed = extract_text("Content-Type: multipart/mixed; boundary=u\n\n--u\n\nfirst\n--u\n\ntruncated");
    CHECK(unclosed.parsed);
    CHECK(unclosed.body == "first\ntruncated");

    auto guessed = extract_text(
        "Content-Type: multipart/mixed\n\n--guess\nContent-Type: text/plain\n\nrecovered\n--guess--\n");
    CHECK(guessed.body == "recovered");

    auto lost = extract_text("Content-Type: multipart/mixed; boundary=nowhere\n\njust text\n");
    CHECK_FALSE(lost.parsed);
    CHECK(lost.problem == "multipart boundary never found");
    CHECK(lost.body == "just text");
}

TEST_CASE("extract_text: no header, header only, odd types, NUL bytes, 8-bit headers", "[text]") {
    auto nohdr = extract_text("This message starts with its body.\nSecond line: with a colon\n");
    CHECK(nohdr.parsed);
    CHECK(nohdr.body == "This message starts with its body.\nSecond line: with a colon");
    CHECK(extract_text("Subject: only a header\n").subject == "only a header");
    CHECK(extract_text("").body.empty());
    auto nosub = extract_text("Content-Type: text\n\ntext without subtype\n");
    CHECK(nosub.body == "text without subtype");
    auto binary = extract_text("Content-Type: application/octet-stream\n\nnot text\n");
    CHECK(binary.body.empty());
    auto nul = extract_text(std::string("Subject: a\0b\n\nbody\0with nul\n", 28));
    CHECK(nul.subject == "ab");
    CHECK(nul.body == "bodywith nul");
    auto raw8 = extract_text("From: J\xF6rg <j@example.com>\nSubject: Gr\xC3\xBC\xC3\x9F" "e\n\nx\n");
    CHECK(raw8.from == "Jörg <j@example.com>");
    CHECK(raw8.subject == "Grüße");
    auto mbox = extract_text("From someone@example.com Sat Jan  1 00:00:00 2000\nSubject: s\n\nb\n");
    CHECK(mbox.subject == "s");
    CHECK(mbox.body == "b");
    auto meta = extract_text(
        "Content-Type: text/html\n\n<meta charset=\"koi8-r\"><p>\xF0\xD2\xC9\xD7\xC5\xD4</p>\n");
    CHECK(meta.body == "Привет");
    auto uu = extract_text("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n`\nend\n");
    CHECK(uu.body.empty());
}

TEST_CASE("extract_text: the nesting limit, and no stack overflow far beyond it", "[text][limits]") {
    auto ok = extract_text(nested_multiparts(19));
    CHECK(ok.parsed);
    CHECK(ok.body == "deepword");
    auto deep = extract_text(nested_multiparts(21));
    CHECK_FALSE(deep.parsed);
    CHECK(deep.problem == "MIME nesting deeper than 20");
    CHECK(deep.body.empty());

    // 3 MB of nested multiparts crashed mimetic's recursive parser (SIGSEGV).
    std::string hostile = nested_multiparts(100000);
    auto start = std::chrono::steady_clock::now();
    auto h = extract_text(hostile);
    CHECK_FALSE(h.parsed);
    std::string rfc822;
    for (int i = 0; i < 100000; ++i) rfc822 += "Content-Type: message/rfc822\n\n";
    auto r = extract_text(rfc822 + "Subject: x\n\nhi\n");
    CHECK_FALSE(r.parsed);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("extract_text: the part, header, body and input limits", "[text][limits]") {
    std::string many = "Subject: many\nContent-Type: multipart/mixed; boundary=p\n\n";
    for (int i = 0; i < 600; ++i) many += "--p\nContent-Type: text/plain\n\nw" + std::to_string(i) + "\n";
    auto m = extract_text(many);
    CHECK_FALSE(m.parsed);
    CHECK(m.problem == "more than 500 MIME parts");
    CHECK(contains(m.body, "w0\n"));
    CHECK_FALSE(contains(m.body, "w599"));

    std::string big_header = "Subject: found\nX-Junk: " + std::string(300 * 1024, 'j') + "\n\nbody\n";
    auto h = extract_text(big_header);
    CHECK_FALSE(h.parsed);
    CHECK(h.problem == "header section over 256 KiB");
    CHECK(h.subject == "found");
    CHECK(h.body.empty());

    std::string big_body = "Content-Type: text/plain; charset=iso-8859-1\n\n";
    for (int i = 0; i < 400000; ++i) big_body += "caf\xE9 ";
    auto b = extract_text(big_body);
    CHECK_FALSE(b.parsed);
    CHECK(b.problem == "text over 1 MiB: cut");
    CHECK(b.body.size() <= 1024 * 1024);
    CHECK(b.body.size() > 1024 * 1024 - 8);
    CHECK(is_valid_utf8(b.body));

    TextLimits small;
    small.max_input_bytes = 40;
    auto in = extract_text("Subject: s\n\nfirst words and then more words\n", small);
    CHECK_FALSE(in.parsed);
    CHECK(in.problem == "message of 44 bytes: only its first 40 bytes read");
    CHECK(in.body == "first words and then more wo");

    TextLimits tiny;
    tiny.max_body_bytes = 4;
    auto t = extract_text("Subject: x\n\n\xC3\xA9\xC3\xA9\xC3\xA9", tiny);
    CHECK(t.body == "éé");
    // Text that fills the budget exactly, then more: no line break beyond the limit.
    auto exact = extract_text(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nabcd\n--b\n\nmore\n--b--\n", tiny);
    CHECK(exact.body == "abcd");
    CHECK_FALSE(exact.parsed);
}

TEST_CASE("the splitter: delimiters only at line starts, followed by blanks only", "[text]") {
    auto m = split_multipart("pre\n--b\nA\n--b \r\nB\n x--b\n--bc\n--b--junk\n--b--\nepi", "b", 100);
    CHECK(m.boundary_found);
    CHECK(m.closed);
    REQUIRE(m.parts.size() == 2);
    CHECK(m.parts[0] == "A");
    CHECK(m.parts[1] == "B\n x--b\n--bc\n--b--junk");
    auto e = split_entity("Subject: a\r\n folded\r\nX: y\r\n\r\nbody", 1000);
    CHECK(e.header == "Subject: a\r\n folded\r\nX: y");
    CHECK(e.body == "body");
    auto no_blank = split_entity("Subject: a\nnot a header line\nmore", 1000);
    CHECK(no_blank.header == "Subject: a");
    CHECK(no_blank.body == "not a header line\nmore");
    // An mbox From_ line is skipped before a message's header, never in a part.
    CHECK(split_entity("From a@b Sat Jan  1 00:00:00 2000\nX: y\n\nb", 1000, Entity::message).header == "X: y");
    CHECK(split_entity("From the desk of\nnobody", 1000, Entity::part).body == "From the desk of\nnobody");
    // A first line longer than the limit is a field (the header is too big) or the body.
    auto long_field = split_entity("X-Long: " + std::string(2000, 'x') + "\n\nbody", 1000);
    CHECK_FALSE(long_field.header_complete);
    auto long_body = split_entity(std::string(2000, 'x') + "\n", 1000);
    CHECK(long_body.header_complete);
    CHECK(long_body.body.size() == 2001);
}
