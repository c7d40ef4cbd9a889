// The mbox reader on small hand-made files: From_ line recognition, the
// variants, Content-Length, line endings, and every kind of bad input.
// The corpus tests are in mbox_corpus_test.cpp, the writer's in mbox_writer_test.cpp.
#include <catch2/catch.hpp>

#include "formats/mbox/from_line.hpp"
#include "formats/mbox/mbox_headers.hpp"
#include "formats/mbox/mbox_reader.hpp"
#include "mbox_test_support.hpp"

using namespace mailferry;
using namespace mailferry::mbox;
using namespace mbox_test;

namespace {

const std::string m1 = "From: a@example.org\nSubject: one\n\nbody one\n";
const std::string m2 = "From: b@example.org\nSubject: two\n\nbody two\n";
const std::string f1 = "From a@example.org Sat Jan  1 00:00:00 2011\n";
const std::string f2 = "From b@example.org Sun Jan  2 00:00:00 2011\n";

}  // namespace

TEST_CASE("From_ lines: strict with an asctime-like date, weak without one, or not at all", "[mbox]") {
    struct Row {
        const char* line;
        FromKind kind;
        const char* sender;
        std::optional<int64_t> date;
    };
    const Row table[] = {
        // ponymail (lists.apache.org), mail-archives.apache.org (two spaces), perl-mail-box (no seconds, zone)
        {"From dev-return-124652-archive=x@maven.apache.org Tue Nov 28 21:04:44 2017", FromKind::strict,
         "dev-return-124652-archive=x@maven.apache.org", 1511903084},
        {"From a@b  Tue Nov 28 21:04:44 2017", FromKind::strict, "a@b", 1511903084},
        {"From magick-owner@x Wed Feb  9 22:02 MET 2000", FromKind::strict, "magick-owner@x", 950133720 - 3600},
        {"From a@b Sat Jan  1 00:00:00 2011\r", FromKind::strict, "a@b", 1293840000},
        {"From a@b Fri Dec 31 23:59 99", FromKind::strict, "a@b", 946684740},
        {"From 1234@xxx Sat Feb 23 17:54:22 +0000 2019", FromKind::strict, "1234@xxx", 1550944462},
        {"From a@b Sat Feb 23 17:54:22 2019 -0100", FromKind::strict, "a@b", 1550944462 + 3600},
        {"From a@b Sat Feb 23 17:54:22 MET DST 2019", FromKind::strict, "a@b", 1550944462 - 7200},
        {"From - Sat Feb 23 17:54:22 2019", FromKind::strict, "-", 1550944462},
        {"From  Sat Feb 23 17:54:22 2019", FromKind::strict, "", 1550944462},
        {"From a@b Sat, 23 Feb 2019 17:54:22 +0000", FromKind::strict, "a@b", 1550944462},
        {"From a@b Sat Feb 23 17:54:22 2019 remote from uucphost", FromKind::strict, "a@b", 1550944462},
        {"From Mon Sat Jan  1 00:00:00 2011", FromKind::strict, "Mon", 1293840000},
        {"From \"john doe\"@b Sat Jan  1 00:00:00 2011", FromKind::strict, "\"john doe\"@b", 1293840000},
        // weak: MimeKit/GMime/Thunderbird "From -", an archive without envelope, Gmail ids
        {"From -", FromKind::weak, "-", std::nullopt},
        {"From - ", FromKind::weak, "-", std::nullopt},
        {"From ", FromKind::weak, "", std::nullopt},
        {"From", FromKind::weak, "", std::nullopt},
        {"From 1844347792267117879@xxx", FromKind::weak, "1844347792267117879@xxx", std::nullopt},
        // body text and headers
        {"From Russia with love", FromKind::none, "", std::nullopt},
        {"From my perspective the build time is NOT significantly faster", FromKind::none, "", std::nullopt},
        {"From: Jeffrey Stedfast <jeff@xamarin.com>", FromKind::none, "", std::nullopt},
        {">From a@b Sat Jan  1 00:00:00 2011", FromKind::none, "", std::nullopt},
        {"from a@b Sat Jan  1 00:00:00 2011", FromKind::none, "", std::nullopt},
        {"Fromage", FromKind::none, "", std::nullopt},
        {"From a@b Sat Jan 32 00:00:00 2011", FromKind::none, "", std::nullopt},
        {"From a@b Sat Jan  1 25:00:00 2011", FromKind::none, "", std::nullopt},
        {"From a@b Sat Jan  1 00:00:00 201", FromKind::none, "", std::nullopt},
        {"From a@b 2011-01-01T00:00:00Z", FromKind::none, "", std::nullopt},
        {"From a@b\x01", FromKind::none, "", std::nullopt},
    };
    for (const auto& r : table) {
        CAPTURE(r.line);
        FromLine f = parse_from_line(r.line);
        CHECK(f.kind == r.kind);
        if (r.kind == FromKind::none) continue;
        CHECK(f.sender == r.sender);
        CHECK(f.date == r.date);
    }
}

TEST_CASE("From_ lines are written in asctime, UTC, with a clean sender", "[mbox]") {
    CHECK(format_from_line("a@b", 1293840000) == "From a@b Sat Jan  1 00:00:00 2011");
    CHECK(format_from_line("a@b", 1511903084) == "From a@b Tue Nov 28 21:04:44 2017");
    CHECK(format_from_line("", 0) == "From MAILER-DAEMON Thu Jan  1 00:00:00 1970");
    CHECK(format_from_line("john doe@b", 0) == "From MAILER-DAEMON Thu Jan  1 00:00:00 1970");
    CHECK(format_from_line("x", -1) == "From x Wed Dec 31 23:59:59 1969");
    for (int64_t t : {int64_t{0}, int64_t{951782400}, int64_t{1709251199}, int64_t{4102444799}}) {
        FromLine f = parse_from_line(format_from_line("s", t));
        CHECK(f.kind == FromKind::strict);
        CHECK(f.date == t);
    }
}

TEST_CASE("escaped From_ lines: the depth of '>' before 'From '", "[mbox]") {
    CHECK(escaped_from_depth("From x") == 0);
    CHECK(escaped_from_depth(">From x") == 1);
    CHECK(escaped_from_depth(">>>From ") == 3);
    CHECK(escaped_from_depth("> From x") == -1);
    CHECK(escaped_from_depth(">From") == -1);
    CHECK(escaped_from_depth(">Fromage") == -1);
    CHECK(escaped_from_depth("") == -1);
}

TEST_CASE("mbox header fields: flags, Content-Length, Gmail labels, envelope sender", "[mbox]") {
    std::string h =
        "Return-Path: <bounce@lists.example>\r\nStatus: RO\r\nX-Status: AFTD\r\n"
        "X-Keywords: $Forwarded, Wichtig  $Label1\r\nX-Gmail-Labels: Inbox,Important,\r\n \"a,b\"\r\n"
        "Content-Length: 42\r\nFrom: Someone <someone@example.org>\r\n\r\nFrom Russia\r\n";
    MboxHeaders m = parse_mbox_headers(h);
    CHECK(m.content_length == 42u);
    CHECK(m.flags.seen);
    CHECK(m.old);
    CHECK(m.flags.answered);
    CHECK(m.flags.flagged);
    CHECK(m.flags.draft);
    CHECK(m.flags.deleted);
    CHECK(m.flags.keywords == std::vector<std::string>{"$Forwarded", "$Label1", "Wichtig"});
    CHECK(m.gmail_labels == "Inbox,Important, \"a,b\"");
    CHECK_FALSE(m.folder_internal_data);
    CHECK(envelope_sender(h) == "bounce@lists.example");
    CHECK(envelope_sender("Return-Path: <>\n\n") == "MAILER-DAEMON");
    CHECK(envelope_sender("From: Someone <someone@example.org>\n\n") == "someone@example.org");
    CHECK(envelope_sender("From: plain@example.org (Plain)\n\n") == "plain@example.org");
    CHECK(envelope_sender("Subject: none\n\n") == "");
    CHECK(header_section_size("A: b\r\n\r\nbody") == 8u);
    CHECK(header_section_size("A: b\nno end") == std::string_view::npos);
    CHECK(parse_mbox_headers("Content-Length: 12x\n\n").content_length == std::nullopt);
    CHECK(parse_mbox_headers("X-IMAP: 1 2\nSubject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n\n")
              .folder_internal_data);
    CHECK(looks_like_header_line("List-Id: <x>"));
    CHECK(looks_like_header_line("Subject : obsolete"));
    CHECK_FALSE(looks_like_header_line("From Russia with love"));
    CHECK_FALSE(looks_like_header_line(": x"));
    CHECK_FALSE(looks_like_header_line(""));
}

TEST_CASE("splitting: separators, escapes, Content-Length, line endings, bad input", "[mbox]") {
    struct Row {
        const char* name;
        std::string input;
        Variant variant;
        std::vector<std::string> expected;
        const char* warning;  // a fragment one warning must hold; nullptr: no warning at all
    };
    const std::string cl_body = "body\n\nFrom a@b Sat Jan  1 00:00:00 2011\nstill body\n";
    const Row table[] = {
        {"two messages, separator dropped", f1 + m1 + "\n" + f2 + m2 + "\n", Variant::auto_detect, {m1, m2}, nullptr},
        {"no separator before the From_ line", f1 + m1 + f2 + m2, Variant::auto_detect, {m1, m2}, nullptr},
        {"only one empty line is the separator", f1 + m1 + "\n\n" + f2 + m2 + "\n\n", Variant::auto_detect,
         {m1 + "\n", m2 + "\n"}, nullptr},
        {"From Russia with love is body text", f1 + m1 + "\nFrom Russia with love\n\n" + f2 + m2,
         Variant::auto_detect, {m1 + "\nFrom Russia with love\n", m2}, nullptr},
        {"mboxrd un-escapes one '>'", f1 + "S: x\n\n>From a\n>>From b\n> >From c\n", Variant::mboxrd,
         {"S: x\n\nFrom a\n>From b\n> >From c\n"}, nullptr},
        {"mboxo keeps '>From'", f1 + "S: x\n\n>From a\n>>From b\n", Variant::mboxo,
         {"S: x\n\n>From a\n>>From b\n"}, nullptr},
        {"auto: a '>>From' line means mboxrd", f1 + "S: x\n\n>From a\n\n" + f2 + "S: y\n\n>>From b\n",
         Variant::auto_detect, {"S: x\n\nFrom a\n", "S: y\n\n>From b\n"}, nullptr},
        {"auto: only '>From' lines means mboxo", f1 + "S: x\n\n>From a\n\n" + f2 + "S: y\n\n>From b\n",
         Variant::auto_detect, {"S: x\n\n>From a\n", "S: y\n\n>From b\n"}, nullptr},
        {"Content-Length right: an unescaped From_ line stays in the body (mboxcl2)",
         f1 + "Content-Length: " + std::to_string(cl_body.size()) + "\n\n" + cl_body + "\n" + f2 + m2,
         Variant::auto_detect,
         {"Content-Length: " + std::to_string(cl_body.size()) + "\n\n" + cl_body, m2}, nullptr},
        {"Content-Length right at the end of the file",
         f1 + "Content-Length: " + std::to_string(cl_body.size()) + "\n\n" + cl_body, Variant::auto_detect,
         {"Content-Length: " + std::to_string(cl_body.size()) + "\n\n" + cl_body}, nullptr},
        {"Content-Length too short: From_ lines decide",
         f1 + "Content-Length: 3\n\nbody\n\n" + f2 + m2, Variant::auto_detect,
         {"Content-Length: 3\n\nbody\n", m2}, "Content-Length: 3 does not match"},
        {"Content-Length too long: From_ lines decide",
         f1 + "Content-Length: 999\n\nbody\n\n" + f2 + m2, Variant::auto_detect,
         {"Content-Length: 999\n\nbody\n", m2}, "Content-Length: 999 does not match"},
        {"CRLF: endings kept, CRLF separator dropped",
         "From a@b Sat Jan  1 00:00:00 2011\r\nS: x\r\n\r\nbody\r\n\r\nFrom b@c Sat Jan  1 00:00:00 2011\r\nS: y\r\n\r\nb\r\n",
         Variant::auto_detect, {"S: x\r\n\r\nbody\r\n", "S: y\r\n\r\nb\r\n"}, nullptr},
        {"CRLF with Content-Length",
         "From a@b Sat Jan  1 00:00:00 2011\r\nContent-Length: 14\r\n\r\nx\r\nFrom y\r\nz\r\n\r\nFrom b@c Sat Jan  1 00:00:00 2011\r\nS: y\r\n\r\nb\r\n",
         Variant::auto_detect, {"Content-Length: 14\r\n\r\nx\r\nFrom y\r\nz\r\n", "S: y\r\n\r\nb\r\n"}, nullptr},
        {"UTF-8 BOM before the first From_ line", "\xEF\xBB\xBF" + f1 + m1, Variant::auto_detect, {m1}, nullptr},
        {"empty file", "", Variant::auto_detect, {}, nullptr},
        {"only a BOM", "\xEF\xBB\xBF", Variant::auto_detect, {}, nullptr},
        {"truncated: no final line break", f1 + m1 + "\n" + f2 + "S: y\n\nbody cut he", Variant::auto_detect,
         {m1, "S: y\n\nbody cut he"}, "does not end with a line break"},
        {"truncated in the From_ line", f1 + m1 + "\nFrom b@c Sun Jan  2 00:0", Variant::auto_detect,
         {m1 + "\nFrom b@c Sun Jan  2 00:0"}, "does not end with a line break"},
        {"NUL bytes are kept", f1 + std::string("S: x\n\na\0b\n", 10), Variant::auto_detect,
         {std::string("S: x\n\na\0b\n", 10)}, "NUL bytes"},
        {"CR-only line endings",
         "From a@b Sat Jan  1 00:00:00 2011\rS: x\r\rbody\r\rFrom b@c Sat Jan  1 00:00:00 2011\rS: y\r\rb\r",
         Variant::auto_detect, {"S: x\r\rbody\r", "S: y\r\rb\r"}, "CR only"},
        {"garbage before the first From_ line is skipped", "garbage line\nmore\n\n" + f1 + m1, Variant::auto_detect,
         {m1}, "bytes before the first From_ line skipped"},
        {"a header before the first From_ line makes a message", m2 + "\n" + f1 + m1, Variant::auto_detect,
         {m2, m1}, "taken as one message"},
        {"no From_ line at all, but a message", m1, Variant::auto_detect, {m1}, "taken as one message"},
        {"blank lines before the first From_ line", "\n\n" + f1 + m1, Variant::auto_detect, {m1}, "blank bytes"},
        {"From_ line with nothing after it (weak file)", "From \nList-Id: <a>\n\nx\n\nFrom \nList-Id: <b>\n\ny\n",
         Variant::auto_detect, {"List-Id: <a>\n\nx\n", "List-Id: <b>\n\ny\n"}, nullptr},
        {"weak file: a weak line before body text does not split", "From -\nS: a\n\nFrom here\nto there\n",
         Variant::auto_detect, {"S: a\n\nFrom here\nto there\n"}, nullptr},
        {"strict file: a weak From_ line does not split", f1 + m1 + "\nFrom -\nS: b\n\nb\n", Variant::auto_detect,
         {m1 + "\nFrom -\nS: b\n\nb\n"}, "without a date"},
        {"a From_ line followed by a From_ line: empty message skipped", f1 + f2 + m2, Variant::auto_detect, {m2},
         "empty message"},
        {"a From_ line alone", f1, Variant::auto_detect, {}, "empty message"},
    };
    TempDir tmp;
    // The chunk size must not matter (fuzzer); 34 ends the first chunk of the
    // CRLF rows between "\r" and "\n", which once made them look CR-only.
    for (size_t chunk : {size_t{1} << 20, size_t{1}, size_t{7}, size_t{34}})
    for (const auto& r : table) {
        CAPTURE(r.name, chunk);
        std::string path = tmp.file("t.mbox");
        write_bytes(path, r.input);
        ReaderOptions opt;
        opt.variant = r.variant;
        opt.chunk_size = chunk;
        ReadAll got = read_all(path, opt);
        REQUIRE(got.status.ok());
        CHECK(got.bytes() == r.expected);
        CHECK(got.report.messages == r.expected.size());
        if (r.warning == nullptr) {
            for (const auto& w : got.report.warnings) FAIL_CHECK("unexpected warning: " << w.text);
        } else {
            CHECK(got.warned(r.warning));
        }
    }
}

TEST_CASE("a message carries its offset, From_ line sender and date, and header flags", "[mbox]") {
    TempDir tmp;
    std::string first = "Status: RO\nX-Status: AF\nX-Keywords: Wichtig\nX-Gmail-Labels: Inbox,Starred\n\nx\n";
    std::string input = "\xEF\xBB\xBF" + f1 + first + "\n" + "From -\nS: y\n\ny\n";
    write_bytes(tmp.file("a.mbox"), input);
    ReadAll got = read_all(tmp.file("a.mbox"));
    REQUIRE(got.status.ok());
    REQUIRE(got.messages.size() == 1);  // strict file: "From -" is body
    const Got& m = got.messages[0];
    CHECK(m.offset == 3);
    CHECK(m.sender == "a@example.org");
    CHECK(m.date == 1293840000);
    CHECK(m.flags.seen);
    CHECK(m.old);
    CHECK(m.flags.answered);
    CHECK(m.flags.flagged);
    CHECK_FALSE(m.flags.deleted);
    CHECK(m.flags.keywords == std::vector<std::string>{"Wichtig"});
    CHECK(m.gmail_labels == "Inbox,Starred");

    write_bytes(tmp.file("b.mbox"), f1 + m1 + "\n" + f2 + m2);
    got = read_all(tmp.file("b.mbox"));
    REQUIRE(got.messages.size() == 2);
    CHECK(got.messages[1].offset == f1.size() + m1.size() + 1);
    CHECK(got.messages[1].sender == "b@example.org");
    CHECK_FALSE(got.messages[1].flags.seen);
}

TEST_CASE("auto-detection looks ahead past the window for a '>>From' line", "[mbox]") {
    // The first message has only ">From"; the evidence for mboxrd is far beyond
    // the first chunk, so the reader has to read ahead to decide.
    std::string filler(64 * 1024, 'x');
    filler += '\n';
    std::string input = f1 + "S: x\n\n>From a\n\n";
    for (int i = 0; i < 20; ++i) input += f2 + "S: f\n\n" + filler + "\n";
    input += f2 + "S: y\n\n>>From b\n";
    TempDir tmp;
    write_bytes(tmp.file("a.mbox"), input);
    ReaderOptions opt;
    opt.chunk_size = 4096;
    ReadAll got = read_all(tmp.file("a.mbox"), opt);
    REQUIRE(got.status.ok());
    REQUIRE(got.messages.size() == 22);
    CHECK(got.messages[0].bytes == "S: x\n\nFrom a\n");
    CHECK(got.messages[21].bytes == "S: y\n\n>From b\n");
    CHECK(got.report.variant == Variant::mboxrd);
}

TEST_CASE("small chunks and long lines: the window grows and slides", "[mbox]") {
    struct Row {
        size_t chunk;
        size_t line;
    };
    const Row table[] = {{1, 100}, {7, 100 * 1000}, {4096, 3 * 1024 * 1024 + 17}, {size_t{1} << 20, 3 * 1024 * 1024 + 17}};
    TempDir tmp;
    for (const auto& r : table) {
        CAPTURE(r.chunk, r.line);
        std::string big = "S: big\n\n" + std::string(r.line, 'L') + "\n>From x\n";
        write_bytes(tmp.file("a.mbox"), f1 + m1 + "\n" + f2 + big + "\n" + f1 + m2);
        ReaderOptions opt;
        opt.chunk_size = r.chunk;
        ReadAll got = read_all(tmp.file("a.mbox"), opt);
        REQUIRE(got.status.ok());
        CHECK(got.bytes() == std::vector<std::string>{m1, big, m2});
    }
}

TEST_CASE("a message over the size limit is skipped, its neighbours are not", "[mbox]") {
    std::string big = "S: big\n\n" + std::string(100000, 'b') + "\n";
    TempDir tmp;
    write_bytes(tmp.file("a.mbox"), f1 + m1 + "\n" + f2 + big + "\n" + f1 + m2);
    // Also when the whole file fits in one chunk (the limit used to be checked
    // only when the window was refilled: fuzzer).
    for (size_t chunk : {size_t{1024}, size_t{1} << 20}) {
        CAPTURE(chunk);
        ReaderOptions opt;
        opt.chunk_size = chunk;
        opt.max_message_bytes = 10000;
        ReadAll got = read_all(tmp.file("a.mbox"), opt);
        REQUIRE(got.status.ok());
        CHECK(got.bytes() == std::vector<std::string>{m1, m2});
        CHECK(got.report.skipped == 1);
        CHECK(got.warned("larger than the limit"));
    }
}

TEST_CASE("the callback's error stops the read and is returned", "[mbox]") {
    TempDir tmp;
    write_bytes(tmp.file("a.mbox"), f1 + m1 + "\n" + f2 + m2);
    MboxReader reader(tmp.file("a.mbox"));
    int calls = 0;
    Status st = reader.read([&](const MboxMessage&) -> Status {
        ++calls;
        return make_error(ErrorKind::io, Radius::fatal, "disk full");
    });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == "disk full");
    CHECK(calls == 1);
}

TEST_CASE("a missing file is an error", "[mbox]") {
    TempDir tmp;
    MboxReader reader(tmp.file("nope.mbox"));
    Status st = reader.read([](const MboxMessage&) { return Status{}; });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().describe().find("nope.mbox") != std::string::npos);
}
