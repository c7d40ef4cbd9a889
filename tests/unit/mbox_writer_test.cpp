// The mbox writer: From_ lines, escaping, line endings, file modes, and that
// the reader gives back what was written.
#include <catch2/catch.hpp>

#include "formats/mbox/mbox_reader.hpp"
#include "formats/mbox/mbox_writer.hpp"
#include "mbox_test_support.hpp"

using namespace mailferry;
using namespace mailferry::mbox;
using namespace mbox_test;

namespace {

std::string write_one(const TempDir& tmp, std::string_view message, WriterOptions opt = {}, int64_t t = 1293840000,
                      std::string_view sender = {}) {
    std::string path = tmp.file("w.mbox");
    std::error_code ec;
    fs::remove(path, ec);
    auto w = MboxWriter::open(path, opt);
    REQUIRE(w.ok());
    REQUIRE(w->append(message, t, sender).ok());
    REQUIRE(w->close().ok());
    return read_bytes(path);
}

}  // namespace

TEST_CASE("writer: the From_ line takes the caller's sender, else Return-Path, else From:, else MAILER-DAEMON", "[mbox]") {
    struct Row {
        const char* message;
        const char* sender;
        const char* from_line;
    };
    const Row table[] = {
        {"Return-Path: <bounce@x.org>\nFrom: A <a@x.org>\n\nb\n", "", "From bounce@x.org Sat Jan  1 00:00:00 2011\n"},
        {"From: A <a@x.org>\n\nb\n", "", "From a@x.org Sat Jan  1 00:00:00 2011\n"},
        {"Return-Path: <>\n\nb\n", "", "From MAILER-DAEMON Sat Jan  1 00:00:00 2011\n"},
        {"Subject: no address\n\nb\n", "", "From MAILER-DAEMON Sat Jan  1 00:00:00 2011\n"},
        {"From: A <a@x.org>\n\nb\n", "given@x.org", "From given@x.org Sat Jan  1 00:00:00 2011\n"},
        {"From: \"A B\"@x.org\n\nb\n", "", "From MAILER-DAEMON Sat Jan  1 00:00:00 2011\n"},
    };
    TempDir tmp;
    for (const auto& r : table) {
        CAPTURE(r.message);
        std::string file = write_one(tmp, r.message, {}, 1293840000, r.sender);
        CHECK(file == std::string(r.from_line) + r.message + "\n");
    }
}

TEST_CASE("writer: mboxrd escapes ^>*From , mboxo only ^From ", "[mbox]") {
    const std::string message = "S: x\n\nFrom a\n>From b\n>>From c\n> From d\nFromage\nFrom\n";
    struct Row {
        Variant variant;
        const char* body;
    };
    const Row table[] = {
        {Variant::mboxrd, "S: x\n\n>From a\n>>From b\n>>>From c\n> From d\nFromage\nFrom\n"},
        {Variant::mboxo, "S: x\n\n>From a\n>From b\n>>From c\n> From d\nFromage\nFrom\n"},
    };
    TempDir tmp;
    for (const auto& r : table) {
        CAPTURE(variant_name(r.variant));
        WriterOptions opt;
        opt.variant = r.variant;
        std::string file = write_one(tmp, message, opt);
        CHECK(file == "From MAILER-DAEMON Sat Jan  1 00:00:00 2011\n" + std::string(r.body) + "\n");
    }
    // Only mboxrd can give the message back exactly.
    ReaderOptions rd;
    rd.variant = Variant::mboxrd;
    write_one(tmp, message);
    CHECK(read_all(tmp.file("w.mbox"), rd).bytes() == std::vector<std::string>{message});
    // A message that starts with its own From_ line keeps it.
    std::string own = "From x@y Sat Jan  1 00:00:00 2011\nS: x\n\nb\n";
    write_one(tmp, own);
    CHECK(read_all(tmp.file("w.mbox"), rd).bytes() == std::vector<std::string>{own});
}

TEST_CASE("writer: line endings are the message's own, a missing last one is added and said", "[mbox]") {
    TempDir tmp;
    std::string crlf = "S: x\r\n\r\nbody\r\n";
    CHECK(write_one(tmp, crlf) == "From MAILER-DAEMON Sat Jan  1 00:00:00 2011\r\n" + crlf + "\r\n");
    CHECK(read_all(tmp.file("w.mbox")).bytes() == std::vector<std::string>{crlf});

    std::string path = tmp.file("n.mbox");
    auto w = MboxWriter::open(path);
    REQUIRE(w.ok());
    auto a = w->append("S: x\n\nno newline", 0);
    REQUIRE(a.ok());
    CHECK(a->newline_added);
    CHECK(a->offset == 0);
    auto b = w->append("S: y\n\nfine\n", 0);
    REQUIRE(b.ok());
    CHECK_FALSE(b->newline_added);
    CHECK(b->offset == 44 + 16 + 2);
    CHECK(w->newlines_added() == 1);
    CHECK(w->messages() == 2);
    auto empty = w->append("", 0);
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().kind == ErrorKind::invalid_data);
    REQUIRE(w->close().ok());
    CHECK(read_all(path).bytes() == std::vector<std::string>{"S: x\n\nno newline\n", "S: y\n\nfine\n"});
}

TEST_CASE("writer: an existing file is kept unless overwrite or append is asked for", "[mbox]") {
    TempDir tmp;
    std::string path = tmp.file("a.mbox");
    std::string existing = "From a@b Sat Jan  1 00:00:00 2011\nS: old\n\nold body\n";  // no separator at the end
    write_bytes(path, existing);

    auto refused = MboxWriter::open(path);
    REQUIRE_FALSE(refused.ok());
    CHECK(read_bytes(path) == existing);

    WriterOptions append;
    append.mode = wrap::FileOutput::Mode::append;
    auto w = MboxWriter::open(path, append);
    REQUIRE(w.ok());
    REQUIRE(w->append("S: new\n\nnew body\n", 0).ok());
    REQUIRE(w->close().ok());
    CHECK(read_all(path).bytes() == std::vector<std::string>{"S: old\n\nold body\n", "S: new\n\nnew body\n"});

    write_bytes(path, "From a@b Sat Jan  1 00:00:00 2011\nS: old\n\ncut");  // no line break at all
    w = MboxWriter::open(path, append);
    REQUIRE(w.ok());
    REQUIRE(w->append("S: new\n\nnew body\n", 0).ok());
    REQUIRE(w->close().ok());
    CHECK(read_all(path).bytes() == std::vector<std::string>{"S: old\n\ncut\n", "S: new\n\nnew body\n"});

    WriterOptions overwrite;
    overwrite.mode = wrap::FileOutput::Mode::overwrite;
    w = MboxWriter::open(path, overwrite);
    REQUIRE(w.ok());
    REQUIRE(w->append("S: only\n\nx\n", 0).ok());
    REQUIRE(w->close().ok());
    CHECK(read_all(path).bytes() == std::vector<std::string>{"S: only\n\nx\n"});
}
