// The decoders under text extraction: charsets (iconv and our own), transfer
// encodings, RFC 2047 header words, RFC 2231 parameters, HTML to text.
#include <catch2/catch.hpp>

#include <string>

#include "mime/charset.hpp"
#include "mime/html_entities.hpp"
#include "mime/html_text.hpp"
#include "mime/mime_field.hpp"
#include "mime/rfc2047.hpp"
#include "mime/transfer_encoding.hpp"

using namespace mailferry::mime;

namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string base64(std::string_view s) {
    std::string out;
    append_base64_decoded(s, out);
    return out;
}

std::string qp(std::string_view s) {
    std::string out;
    append_qp_decoded(s, out);
    return out;
}

}  // namespace

TEST_CASE("charsets convert to UTF-8: iconv ones, our own ones, and supersets of the label", "[text][charset]") {
    struct Case {
        const char* charset;
        std::string bytes;
        std::string utf8;
    };
    const Case cases[] = {
        {"koi8-r", "\xF0\xD2\xC9\xD7\xC5\xD4", "Привет"},
        {"\"KOI8-R\"", "\xF0\xD2\xC9\xD7\xC5\xD4", "Привет"},
        {"iso-8859-1", "caf\xE9", "café"},
        {"ISO-8859-1", "\x80 5", "€ 5"},  // read as windows-1252, as mail clients do
        {"windows-1252", "\x93q\x94", "“q”"},
        {"iso-8859-15", "\xA4", "€"},
        {"iso-8859-2", "\xB1", "ą"},
        {"windows-1251", "\xCF\xF0\xE8", "При"},
        {"shift_jis", "\x93\xFA\x96\x7B", "日本"},
        {"Shift_JIS", "\x87\x40", "①"},  // a CP932 extension
        {"gb2312", "\xC4\xE3\xBA\xC3", "你好"},
        {"big5", "\xA4\xA4\xA4\xE5", "中文"},
        {"euc-kr", "\xC7\xD1\xB1\xB9", "한국"},
        {"euc-jp", "\xC6\xFC\xCB\xDC", "日本"},
        {"iso-2022-jp", "\x1B$BF|K\\\x1B(B", "日本"},
        {"utf-16le", std::string("h\0i\0", 4), "hi"},
        {"utf-16be", std::string("\0h\0i", 4), "hi"},
        {"utf-16", std::string("\xFF\xFEh\0i\0", 6), "hi"},
        {"utf-7", "caf+AOk-", "café"},
        {"utf8", "caf\xC3\xA9", "café"},
        {"us-ascii", "plain", "plain"},
        {"", "caf\xC3\xA9", "café"},         // undeclared: valid UTF-8 stays
        {"us-ascii", "caf\xE9", "café"},     // 8-bit in "ASCII": windows-1252
        {"x-no-such-charset", "caf\xE9", "café"},
        {"UTF-8//TRANSLIT", "caf\xE9", "café"},  // not a label we pass to iconv
    };
    for (const auto& c : cases) {
        CAPTURE(c.charset, c.bytes);
        CHECK(to_utf8(c.bytes, c.charset) == c.utf8);
    }
}

TEST_CASE("charsets: invalid bytes become U+FFFD, NUL bytes go, output stays valid UTF-8", "[text][charset]") {
    CHECK(to_utf8("a\xFF" "b", "utf-8") == "a" + kFffd + "b");
    CHECK(to_utf8("a\xED\xA0\x80" "b", "utf-8") == "a" + kFffd + kFffd + kFffd + "b");  // a surrogate
    CHECK(to_utf8(std::string("a\0b", 3), "utf-8") == "ab");
    CHECK(to_utf8(std::string("a\0b", 3), "koi8-r") == "ab");
    CHECK(to_utf8("\x93\xFA\x81", "shift_jis") == "日" + kFffd);  // incomplete at the end
    CHECK(to_utf8(std::string("h\0i", 3), "utf-16le") == "h" + kFffd);
    CHECK(to_utf8("\x81", "windows-1252") == kFffd);
    // An unmappable two-byte character inside ISO-2022-JP's kanji mode costs
    // its two bytes, so the characters after it still pair correctly.
    CHECK(to_utf8("\x1B$B\x2D\x21\x30\x21\x1B(B!", "iso-2022-jp") == kFffd + "亜!");
    CHECK(is_valid_utf8(to_utf8("\xC3\x28\xE2\x82\xF0\x9F\x98", "utf-8")));
}

TEST_CASE("charsets: labels we know, and the cap cuts at a character boundary", "[text][charset]") {
    CHECK(charset_known("koi8-r"));
    CHECK(charset_known("ISO-2022-JP"));
    CHECK(charset_known("us-ascii"));
    CHECK_FALSE(charset_known("x-no-such-charset"));
    CHECK_FALSE(charset_known("../../etc/passwd"));
    std::string out;
    CHECK_FALSE(append_utf8("\xE9\xE9\xE9", "iso-8859-1", out, 5));
    CHECK(out == "éé");
    out.clear();
    CHECK_FALSE(append_utf8("\x1B$BF|K\\\x1B(B", "iso-2022-jp", out, 4));
    CHECK(out == "日");
    CHECK(utf8_cut("aé", 2) == 1);
    CHECK(utf8_cut("aé", 9) == 3);
}

TEST_CASE("quoted-printable and base64 are decoded leniently", "[text][encoding]") {
    CHECK(qp("caf=C3=A9 =\r\nsoft=\nbreak") == "café softbreak");
    CHECK(qp("lower=c3=a9") == "loweré");
    CHECK(qp("padded=  \r\nend") == "paddedend");
    CHECK(qp("a = b =4 =ZZ =") == "a = b =4 =ZZ ");
    CHECK(qp("=3D=") == "=");
    CHECK(base64("aGVs\r\nbG8=") == "hello");
    CHECK(base64("aGVsbG8") == "hello");
    CHECK(base64("aGk=aGk=") == "hihi");
    CHECK(base64("aG!Vs*bG8=\n") == "hello");
    CHECK(base64("") == "");
    CHECK(base64("=====") == "");
    CHECK(transfer_encoding_of(" Base64 ") == TransferEncoding::base64);
    CHECK(transfer_encoding_of("quoted-printable") == TransferEncoding::quoted_printable);
    CHECK(transfer_encoding_of("quoted printable") == TransferEncoding::quoted_printable);
    CHECK(transfer_encoding_of("x-uuencode") == TransferEncoding::unreadable);
    CHECK(transfer_encoding_of("x-gzip64") == TransferEncoding::unreadable);
    CHECK(transfer_encoding_of("8bit") == TransferEncoding::identity);
    CHECK(transfer_encoding_of("") == TransferEncoding::identity);
}

TEST_CASE("RFC 2047: Q and B words, adjacent words, unknown charsets, broken words, raw 8-bit", "[text][rfc2047]") {
    const std::pair<std::string, std::string> cases[] = {
        {"=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", "André Pirard <PIRARD@vm1.ulg.ac.be>"},
        {"=?utf-8?B?w6TDtsO8?=", "äöü"},
        {"=?utf-8?b?w6TDtsO8?=", "äöü"},
        {"=?utf-8?q?hello_world?=", "hello world"},
        {"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"},  // RFC 2047 §8: blanks between words go
        {"=?ISO-8859-1?Q?a?=\r\n =?ISO-8859-2?Q?_b?=", "a b"},
        {"=?ISO-8859-1?Q?a?=  b", "a b"},
        {"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"},
        {"=?UTF-8?Q?=C3?= =?UTF-8?Q?=A4?=", "ä"},  // one character split over two words
        {"=?ISO-2022-JP?B?GyRCRnxLXDhsJWEhPCVrJUYlOSVIGyhCICh0ZXN0aW5nIEph?=\r\n"
         " =?ISO-2022-JP?B?cGFuZXNlIGVtYWlscyk=?=",
         "日本語メールテスト (testing Japanese emails)"},
        {"=?koi8-r?B?8sXL0sXB1MnXzs/FIMHHxc7U09TXzw==?=", "Рекреативное агентство"},
        {"=?KOI8-R?B?8NLJ18XU?= world", "Привет world"},
        {"=?utf-8*en?q?hi?=", "hi"},  // RFC 2231 §5 language
        {"\"=?utf-8?q?J=C3=B6rg?=\" <j@example.com>", "\"Jörg\" <j@example.com>"},
        {"foo=?utf-8?q?bar?=baz", "foobarbaz"},
        {"=?x-unknown?Q?caf=C3=A9?=", "café"},  // unknown charset: UTF-8 when valid
        {"=?bogus?Q?caf=E9?=", "café"},         // else windows-1252
        {"=?utf-8?Q?unterminated", "=?utf-8?Q?unterminated"},
        {"=?utf-8?X?abc?=", "=?utf-8?X?abc?="},
        {"=??Q?abc?=", "=??Q?abc?="},
        {"=?utf-8?Q?a?b?=", "=?utf-8?Q?a?b?="},
        {"=?=?=?=?", "=?=?=?=?"},
        {"J\xC3\xB6rg", "Jörg"},  // raw UTF-8
        {"J\xF6rg", "Jörg"},      // raw Latin-1
        {"a\r\n\tfolded\r\n  line", "a folded line"},
        {std::string("nul\0byte\ttab", 12), "nulbyte tab"},
        {"  trimmed  ", "trimmed"},
        {"", ""},
    };
    for (const auto& [raw, want] : cases) {
        CAPTURE(raw);
        CHECK(decode_header_text(raw) == want);
    }
}

TEST_CASE("RFC 2047 decoding stays linear on hostile input", "[text][rfc2047]") {
    std::string hostile;
    for (int i = 0; i < 50000; ++i) hostile += "=?a?q?";
    std::string words;
    for (int i = 0; i < 20000; ++i) words += "=?utf-8?q?x?= ";
    CHECK(decode_header_text(hostile).size() == hostile.size());
    CHECK(decode_header_text(words) == std::string(20000, 'x'));
}

TEST_CASE("MIME parameters: quoting, comments, RFC 2231 values and continuations", "[text][rfc2231]") {
    auto f = parse_mime_field("text/plain; name=\"a;b.txt\"; charset=koi8-r");
    CHECK(f.value == "text/plain");
    REQUIRE(f.param("name"));
    CHECK(*f.param("name") == "a;b.txt");
    CHECK(*f.param("charset") == "koi8-r");

    f = parse_mime_field("TEXT/HTML; CHARSET=iso-8859-1 (comment)");
    CHECK(f.value == "text/html");
    CHECK(*f.param("charset") == "iso-8859-1");

    f = parse_mime_field("attachment; filename=\"a \\\"q\\\" b\"; size=3");
    CHECK(f.value == "attachment");
    CHECK(*f.param("filename") == "a \"q\" b");

    f = parse_mime_field("multipart/mixed;\r\n boundary=\"----=_Part_1\"");
    CHECK(*f.param("boundary") == "----=_Part_1");

    f = parse_mime_field("text/plain charset=us-ascii");  // a missing ';'
    CHECK(f.value == "text/plain");
    CHECK(*f.param("charset") == "us-ascii");

    f = parse_mime_field("attachment; filename=report(1).pdf");
    CHECK(*f.param("filename") == "report(1).pdf");

    const std::pair<std::string, std::string> rfc2231[] = {
        {"attachment; filename*=UTF-8''%E2%82%AC%20rates.txt", "€ rates.txt"},
        {"attachment; filename*=iso-8859-1'de'%E4rger.txt", "ärger.txt"},
        {"attachment; filename*0*=utf-8''nyan%20cat%20; filename*1*=%E2%9C%94.gif", "nyan cat ✔.gif"},
        {"attachment; filename*1*=%E2%9C%94.gif; filename*0*=utf-8''nyan%20cat%20", "nyan cat ✔.gif"},
        {"attachment; filename*0*=ISO-8859-1''%E4; filename*1=\".txt\"", "ä.txt"},
        {"attachment; filename*0=\"long \"; filename*1=\"name.txt\"", "long name.txt"},
        {"attachment; filename=\"old.txt\"; filename*=UTF-8''new.txt", "new.txt"},
        {"attachment; filename*=''plain%41.txt", "plainA.txt"},
        {"attachment; filename*=UTF-8''bad%ZZ.txt", "bad%ZZ.txt"},
    };
    for (const auto& [raw, want] : rfc2231) {
        CAPTURE(raw);
        auto p = parse_mime_field(raw);
        REQUIRE(p.param("filename"));
        CHECK(*p.param("filename") == want);
    }
    CHECK(parse_mime_field("").value.empty());
    CHECK(parse_mime_field(";;; =x; name; =").params.empty());
}

TEST_CASE("HTML to text: tags, script and style, comments, entities, blocks", "[text][html]") {
    const std::pair<std::string, std::string> cases[] = {
        {"<p>Hello&nbsp;<b>World</b></p><p>next</p>", "Hello World\nnext"},
        {"<script>var x = '<p>hidden</p>';</script>shown<style>p { color: red }</style>",
         "shown"},
        {"<SCRIPT type=\"text/javascript\">if (a < b) x();</SCRIPT >after", "after"},
        {"a<!-- hidden <p> -->b", "ab"},
        {"<!DOCTYPE html><html><head><title>T</title></head><body>x</body></html>", "T\nx"},
        {"caf&eacute; &#233; &#xE9; &#XE9; &amp;lt; &copy;2024", "café é é é &lt; ©2024"},
        {"&#150;&#8364;&#x1F600;&#0;&#1114112;", "–€😀" + kFffd + kFffd},
        {"&nosuch; & &#; &#x;", "&nosuch; & &#; &#x;"},
        {"a < b > c", "a < b > c"},
        {"<a title=\"x>y\" href='q'>link</a> text", "link text"},
        {"one<br>two<br/>three<div>four</div>", "one\ntwo\nthree\nfour"},
        {"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
        {"  lots \n\n of \t white   space  ", "lots of white space"},
        {"<p>unclosed <!-- comment", "unclosed"},
        {"<p>unclosed <b attr=\"x", "unclosed"},
        {"<o:p>office</o:p>", "office"},
        {"", ""},
    };
    for (const auto& [html, want] : cases) {
        CAPTURE(html);
        CHECK(html_to_text(html) == want);
    }
    CHECK(html_entities_sorted());
    CHECK(html_entity("eacute") == 0xE9);
    CHECK(html_entity("nosuch") == 0);
}

TEST_CASE("HTML meta charset, for HTML parts that name none in Content-Type", "[text][html]") {
    CHECK(html_meta_charset("<html><head><meta charset=\"koi8-r\"></head>") == "koi8-r");
    CHECK(html_meta_charset("<META http-equiv=Content-Type content=\"text/html; charset=iso-2022-jp\">") ==
          "iso-2022-jp");
    CHECK(html_meta_charset("<meta name=x content=y><p>charset=utf-8</p>").empty());
    CHECK(html_meta_charset(std::string(5000, ' ') + "<meta charset=utf-8>").empty());
}
