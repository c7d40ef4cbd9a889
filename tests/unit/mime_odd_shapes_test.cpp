// Shapes of mail that only the real-mail corpus used to bring to src/mime
// (issue 12: a clone alone must reach the same parsers), written out here as
// our own small messages, each with what the reader must make of it.
#include <catch2/catch.hpp>

#include <string>

#include "mime/charset.hpp"
#include "mime/html_text.hpp"
#include "mime/rfc2047.hpp"
#include "mime/text_extract.hpp"

using namespace mailferry::mime;

namespace {

std::string crlf(const std::string& lf) {
    std::string out;
    for (char c : lf) c == '\n' ? out += "\r\n" : out += c;
    return out;
}

}  // namespace

TEST_CASE("charset labels as mailers write them: doubled, quoted, with an RFC 2231 language", "[mime][odd]") {
    CHECK(to_utf8("plain text", "charset=us-ascii") == "plain text");
    CHECK(to_utf8("plain text", "\"US-ASCII\"") == "plain text");
    CHECK(to_utf8("\xe9t\xe9", "iso-8859-1*fr") == "\xc3\xa9t\xc3\xa9");
    // NUL bytes never reach the text, whatever the charset.
    CHECK(to_utf8(std::string("a\0b", 3), "windows-1252") == "ab");
}

TEST_CASE("UTF-8 is checked to the letter: overlongs, surrogates and code points past U+10FFFF are not UTF-8",
          "[mime][odd]") {
    CHECK(is_valid_utf8("\xe0\xa0\x80"));          // U+0800, the first three-byte one
    CHECK_FALSE(is_valid_utf8("\xe0\x9f\xbf"));    // an overlong U+07FF
    CHECK(is_valid_utf8("\xed\x9f\xbf"));          // U+D7FF, the last before the surrogates
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));    // U+D800, a surrogate
    CHECK(is_valid_utf8("\xf0\x90\x80\x80"));      // U+10000
    CHECK_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf")); // an overlong U+FFFF
    CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // past U+10FFFF
    // Declared UTF-8 that is not: each bad byte becomes U+FFFD, the good ones stay.
    CHECK(to_utf8("a\xed\xa0\x80z", "utf-8").find("a") == 0);
    CHECK(to_utf8("a\xed\xa0\x80z", "utf-8").find("\xef\xbf\xbd") != std::string::npos);
}

TEST_CASE("HTML as newsletters send it: declarations, tables, images and form feeds are not words",
          "[mime][odd]") {
    std::string text = html_to_text("<!DOCTYPE html><?xml version=\"1.0\"?><html><body><table><tr><td>alpha</td>"
                                    "<td>beta</td><th>gamma</th></tr></table>one<img src=x>two\fthree</body></html>");
    CHECK(text.find("DOCTYPE") == std::string::npos);
    CHECK(text.find("xml") == std::string::npos);
    CHECK(text.find("alphabeta") == std::string::npos);  // cells stay apart
    CHECK(text.find("betagamma") == std::string::npos);
    CHECK(text.find("onetwo") == std::string::npos);     // an image separates words
    CHECK(text.find("alpha") != std::string::npos);
    CHECK(text.find("three") != std::string::npos);
    // A '<' that opens no tag is text; a search for a closing tag that never comes ends the text.
    CHECK(html_to_text("a < b").find("a < b") != std::string::npos);
    CHECK(html_to_text("<script>never closed").find("never") == std::string::npos);
}

TEST_CASE("encoded words as they are found: broken ones kept as text, blanks between two words dropped",
          "[mime][odd]") {
    CHECK(decode_header_text("=?utf-8?Q?caf=C3=A9?= =?utf-8?Q?cr=C3=A8me?=") == "caf\xc3\xa9" "cr\xc3\xa8me");
    CHECK(decode_header_text("=?utf-8?Q?a?=  \t =?utf-8?B?Yg==?=") == "ab");
    CHECK(decode_header_text("=?utf-8?Q?a?= and =?utf-8?Q?b?=") == "a and b");
    // No third '?': not an encoded word, kept as it stands.
    CHECK(decode_header_text("=?utf-8?Q") == "=?utf-8?Q");
    CHECK(decode_header_text("price =?x?") == "price =?x?");
}

TEST_CASE("headers as real mailers fold and name them", "[mime][odd]") {
    const std::string message = crlf(
        "From: Sender <s@example.org>\n"
        "Subject : spaced name\n"  // a blank before the colon
        "To: first@example.org,\n"
        "\tsecond@example.org\n"
        "Subject: a second Subject is not the one shown\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\n"
        "\n"
        "preamble\n"
        "--b1\n"
        "Content-Type: text/plain; charset=\"charset=us-ascii\"\n"
        "\n"
        "\t  leading blanks, then the body\x01 with a control\n"
        "--b1\n"
        "Content-Type: application/octet-stream; name=\"report.bin\"\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "AAECAw==\n"
        "--b1\n"
        "Content-Type: text/plain\n"
        "\n"
        "   \n"
        "--b1--\n");
    ExtractedText t = extract_text(message);
    CHECK(t.parsed);
    CHECK(t.subject == "spaced name");
    CHECK(t.to.find("second@example.org") != std::string::npos);
    CHECK(t.body.find("leading blanks, then the body") != std::string::npos);
    CHECK(t.body.find('\x01') == std::string::npos);
    // A part with a name in its Content-Type and no Content-Disposition is an attachment.
    REQUIRE(t.attachment_names.size() == 1);
    CHECK(t.attachment_names[0] == "report.bin");
}

TEST_CASE("multipart as broken mailers send it: no boundary parameter, a wrapped message in base64, empty parts",
          "[mime][odd]") {
    // No boundary parameter: the reader finds the delimiter itself; a line of
    // dashes with blanks in it is no delimiter.
    const std::string guessed = crlf(
        "From: a@example.org\n"
        "Subject: guessed\n"
        "Content-Type: multipart/mixed\n"
        "\n"
        "-- not a boundary --\n"
        "--realboundary\n"
        "Content-Type: text/plain\n"
        "\n"
        "found by its delimiter\n"
        "--realboundary--\n");
    ExtractedText g = extract_text(guessed);
    CHECK(g.body.find("found by its delimiter") != std::string::npos);

    // A message/rfc822 part in base64 (not allowed, but sent): read all the same.
    // The base64 below is "From: inner@example.org", "Subject: inner", "", "words of the wrapped message", CRLF each.
    const std::string wrapped = crlf(
        "From: a@example.org\n"
        "Subject: outer\n"
        "Content-Type: multipart/mixed; boundary=\"o\"; boundary=\"ignored\"; ; charset\n"
        "\n"
        "--o\n"
        "Content-Type: message/rfc822\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "RnJvbTogaW5uZXJAZXhhbXBsZS5vcmcNClN1YmplY3Q6IGlubmVyDQoNCndvcmRzIG9mIHRoZSB3cmFwcGVkIG1lc3NhZ2UNCg==\n"
        "--o\n"
        "Content-Type: text/enriched; name=\"shown.txt\"\n"
        "Content-Disposition: inline\n"
        "\n"
        "inline enriched text\n"
        "--o--\n");
    ExtractedText w = extract_text(wrapped);
    CHECK(w.body.find("words of the wrapped message") != std::string::npos);
    CHECK(w.body.find("inline enriched text") != std::string::npos);  // inline with a name: still text

    // A declared boundary that never comes, over a body of blanks only: nothing lost, nothing to say.
    ExtractedText e = extract_text(crlf("From: a@example.org\nContent-Type: multipart/mixed; boundary=x\n\n  \n\t\n"));
    CHECK(e.parsed);
}

TEST_CASE("controls and bare carriage returns in headers and bodies", "[mime][odd]") {
    CHECK(decode_header_text("a\x01" "b") == "a b");
    CHECK(decode_header_text("a \x01" "b") == "a b");
    CHECK(decode_header_text("=?utf-8?Qx?y?=") == "=?utf-8?Qx?y?=");  // no '?' after the encoding letter
    ExtractedText t = extract_text("Subject: cr\r\n\r\nline one\rline two\r\nend\r");
    CHECK(t.body.find("line one\nline two\nend") != std::string::npos);
    CHECK(html_to_text("<SCRIPT>x</scr").find('x') == std::string::npos);  // its end cut off
    CHECK(html_to_text("A\r\n\fB").find("A") != std::string::npos);
}

TEST_CASE("the last odd shapes: a header that begins with a blank, parts without headers, a delimiter at the very end",
          "[mime][odd]") {
    // The first header line begins with a blank: it continues nothing, and is no field either.
    ExtractedText first = extract_text(crlf(" stray: first line\nSubject: after it\n\nbody\n"));
    CHECK(first.body.find("body") != std::string::npos);
    // A guessed delimiter followed at once by the empty line: a part without header fields.
    ExtractedText bare = extract_text(crlf(
        "Subject: bare part\nContent-Type: multipart/mixed\n\n--guess\n\nno headers here\n--guess--\n"));
    CHECK(bare.body.find("no headers here") != std::string::npos);
    // The body ends on a delimiter, without the closing one; a trailing "; " after the parameters.
    ExtractedText open = extract_text(crlf(
        "Subject: open\nContent-Type: multipart/mixed; boundary=o; \n\n--o\nContent-Type: text/plain; charset=us-ascii; \n\n"
        "the only part\n--o"));
    CHECK(open.body.find("the only part") != std::string::npos);
    CHECK(decode_header_text("\x01" "a") == "a");  // a control first: no blank to start with
}
