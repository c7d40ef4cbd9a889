// The mbox reader against the generated corpus (tests/corpus/README.md): every
// mbox gives what its MANIFEST.json records say, the escaping variants, the
// Content-Length files, the quirks; gzip input (good, concatenated, truncated,
// corrupt); the round trip corpus -> read -> write mboxrd -> read. The
// real-mail versions of the file-specific tests are in mbox_real_mail_test.cpp.
#include <catch2/catch.hpp>

#include <algorithm>

#include "formats/mbox/mbox_reader.hpp"
#include "formats/mbox/mbox_writer.hpp"
#include "mbox_test_support.hpp"
#include "test_files.hpp"
#include "wrap/sha256.hpp"

using namespace mailferry;
using namespace mailferry::mbox;
using namespace mbox_test;
using mailferry::test::gzip;

namespace {

// Lines starting with "From ", as `grep -c '^From '` counts them.
size_t from_lines(const std::string& bytes) {
    size_t n = bytes.rfind("From ", 0) == 0 ? 1 : 0;
    for (size_t at = bytes.find("\nFrom "); at != std::string::npos; at = bytes.find("\nFrom ", at + 1)) ++n;
    return n;
}

// One delivered message against its manifest record.
void check_message(const Got& got, const gen::json& rec) {
    CHECK(wrap::sha256_hex(got.bytes) == rec.at("sha256").get<std::string>());
    CHECK(got.bytes.size() == rec.at("size").get<size_t>());
    if (rec.at("received").is_null()) CHECK_FALSE(got.date.has_value());
    else CHECK(got.date == rec.at("received").get<int64_t>());
    CHECK(got.sender == rec.at("envelope_sender").get<std::string>());
    CHECK(got.flags.maildir_letters() == rec.at("flags").get<std::string>());
    auto keywords = rec.at("keywords").get<std::vector<std::string>>();  // from X-Keywords:
    std::sort(keywords.begin(), keywords.end());
    CHECK(got.flags.keywords == keywords);
    CHECK(got.old == gen::has(rec.at("traits"), "status-old"));
    if (rec.contains("gmail_labels")) CHECK(got.gmail_labels == rec.at("gmail_labels").get<std::string>());
}

const gen::json& record_with(const gen::json& c, const std::string& trait, size_t* index) {
    const auto& msgs = c.at("messages");
    for (size_t i = 0; i < msgs.size(); ++i)
        if (gen::has(msgs[i].at("traits"), trait)) {
            *index = i;
            return msgs[i];
        }
    FAIL("no message with trait " << trait << " in " << c.at("path"));
    throw std::logic_error("unreachable");
}

// n messages of varied text, so that the gzip stream spans many blocks.
std::pair<std::string, std::vector<std::string>> synthetic_mbox(int n) {
    static const char* words[] = {"mail", "ferry", "From", "mbox", "the", "lossless", "import", "export",
                                  "zlib", "Dovecot", "header", "body", "line", "quoted", ">", "x"};
    std::mt19937 rng(42);
    std::string file;
    std::vector<std::string> messages;
    for (int i = 0; i < n; ++i) {
        std::string m = "Message-ID: <" + std::to_string(i) + "@test>\nSubject: message " + std::to_string(i) + "\n\n";
        for (int l = 0; l < 40; ++l) {
            for (int w = 0; w < 10; ++w) m += std::string(words[rng() % 16]) + (w < 9 ? " " : "");
            m += '\n';
        }
        file += "From test@example.org Sat Jan  1 00:00:00 2011\n" + m + "\n";
        messages.push_back(m);
    }
    return {file, messages};
}

}  // namespace

TEST_CASE("generated corpus: every mbox gives its manifest's messages, byte for byte, with dates and flags",
          "[mbox][corpus]") {
    auto boxes = gen::containers("mbox");
    REQUIRE(boxes.size() >= 21);
    for (const gen::json* c : boxes) {
        const std::string rel = c->at("path");
        CAPTURE(rel);
        ReadAll got = read_all(gen::path(rel));
        REQUIRE(got.status.ok());
        const auto& recs = c->at("messages");
        REQUIRE(got.messages.size() == recs.size());
        CHECK(got.report.messages == recs.size());
        CHECK(got.report.gzip == c->at("gzip").get<bool>());
        CHECK(got.report.skipped == c->at("skipped").get<uint64_t>());
        if (!c->at("gzip").get<bool>()) CHECK(from_lines(read_bytes(gen::path(rel))) == c->at("from_lines").get<size_t>());
        if (gen::has(c->at("traits"), "reader-warns")) CHECK_FALSE(got.report.warnings.empty());
        else
            for (const auto& w : got.report.warnings) FAIL_CHECK("warning at " << w.offset << ": " << w.text);
        for (size_t i = 0; i < recs.size(); ++i) {
            CAPTURE(i);
            check_message(got.messages[i], recs[i]);
        }
    }
}

TEST_CASE("generated corpus: a BOM, 'From -' separators, and 'From Russia' stays in the body", "[mbox][corpus]") {
    ReadAll got = read_all(gen::path("mbox/quirks/bom-from-dash.mbox"));
    REQUIRE(got.messages.size() == gen::container("mbox/quirks/bom-from-dash.mbox").at("messages").size());
    REQUIRE(got.messages.size() >= 2);
    CHECK(got.messages[0].offset == 3);  // after the BOM
    for (const auto& m : got.messages) {
        CHECK(m.sender == "-");
        CHECK_FALSE(m.date.has_value());
        CHECK(m.bytes.rfind("From: ", 0) == 0);
        CHECK(m.bytes.find("\nFrom Russia, by the night train, came the new timetable.\n") != std::string::npos);
    }
}

TEST_CASE("generated corpus: one month from three archive servers: mboxrd, mboxo, over-escaped", "[mbox][corpus]") {
    ReadAll rd = read_all(gen::path("mbox/escaping/list-mboxrd.mbox"));
    ReadAll o = read_all(gen::path("mbox/escaping/list-mboxo.mbox"));
    ReadAll over = read_all(gen::path("mbox/escaping/list-overescaped.mbox"));
    // mboxrd has ">>From" (a quoted ">From" escaped), so does the over-escaper (">>>From");
    // the mboxo file has none, and keeping its '>' is the safe reading.
    CHECK(rd.report.variant == Variant::mboxrd);
    CHECK(over.report.variant == Variant::mboxrd);
    CHECK(o.report.variant == Variant::mboxo);
    const auto& recs = gen::container("mbox/escaping/list-mboxrd.mbox").at("messages");
    REQUIRE(rd.messages.size() == recs.size());
    REQUIRE(o.messages.size() == recs.size());
    REQUIRE(over.messages.size() == recs.size());
    size_t from_body = 0, quoted = 0;
    for (size_t i = 0; i < recs.size(); ++i) {
        CAPTURE(i);
        const auto& traits = recs[i].at("traits");
        bool has_from = gen::has(traits, "from-in-body") || gen::has(traits, "strict-from-in-body");
        bool has_quote = gen::has(traits, "gt-from-in-body");
        from_body += has_from;
        quoted += has_quote;
        // mboxo cannot undo its escaping: "From " body lines come back as ">From ".
        CHECK((o.messages[i].bytes == rd.messages[i].bytes) == !has_from);
        if (gen::has(traits, "from-in-body"))
            CHECK(o.messages[i].bytes.find("\n>From the harbour office") != std::string::npos);
        // The over-escaper's ">>>From" reads as ">>From": one '>' too many, which no reader can know.
        CHECK((over.messages[i].bytes == rd.messages[i].bytes) == !has_quote);
        if (has_quote) {
            CHECK(rd.messages[i].bytes.find("\n>From the minutes") != std::string::npos);
            CHECK(over.messages[i].bytes.find("\n>>From the minutes") != std::string::npos);
        }
    }
    CHECK(from_body >= 3);
    CHECK(quoted >= 3);
}

TEST_CASE("generated corpus: Content-Length mboxes: the length used, Status and X-Status read", "[mbox][corpus]") {
    for (const char* rel : {"mbox/content-length/cl.mbox", "mbox/content-length/cl-crlf.mbox"}) {
        CAPTURE(rel);
        const auto& recs = gen::container(rel).at("messages");
        ReadAll got = read_all(gen::path(rel));
        REQUIRE(got.messages.size() == recs.size());
        size_t answered = 0, pasted = 0;
        for (size_t i = 0; i < recs.size(); ++i) {
            const Got& m = got.messages[i];
            CHECK(m.content_length_used);
            CHECK(m.date.has_value());
            CHECK(m.sender == "crew-owner@example.org");
            answered += m.flags.answered;
            // A pasted From_ line in the body: only the right Content-Length keeps the message whole.
            if (gen::has(recs[i].at("traits"), "from-line-in-body")) {
                ++pasted;
                CHECK(m.bytes.find("From pat@example.net Thu Feb  3 11:04:00 2000") != std::string::npos);
            }
        }
        CHECK(answered >= 3);
        CHECK(pasted >= 3);
    }
    ReadAll crlf = read_all(gen::path("mbox/content-length/cl-crlf.mbox"));
    for (const auto& m : crlf.messages) CHECK(m.bytes.substr(m.bytes.size() - 2) == "\r\n");
}

TEST_CASE("generated corpus: a Content-Length that lies falls back to From_ lines, losing nothing", "[mbox][corpus]") {
    // The file with a lie in it, as generated: the lying message is read whole, by its From_ lines.
    const gen::json& lying = gen::container("mbox/content-length/cl-lying.mbox");
    size_t liar = 0;
    record_with(lying, "content-length-wrong", &liar);
    ReadAll got = read_all(gen::path("mbox/content-length/cl-lying.mbox"));
    REQUIRE(got.messages.size() == lying.at("messages").size());
    CHECK_FALSE(got.messages[liar].content_length_used);
    CHECK(got.warned("does not match"));

    // And lies made here on the honest file: too short, too long, far too long.
    const std::string cl = gen::path("mbox/content-length/cl.mbox");
    ReadAll good = read_all(cl);
    std::string original = read_bytes(cl);
    size_t at = original.find("Message-ID: <cl." + std::to_string(liar + 1) + "@example.org>");
    REQUIRE(at != std::string::npos);
    at = original.find("Content-Length: ", at);
    size_t end = original.find('\n', at);
    const std::string honest = original.substr(at, end - at);
    for (const char* lie : {"Content-Length: 10", "Content-Length: 99999999", "Content-Length: 2000"}) {
        CAPTURE(lie);
        std::string bytes = original;
        bytes.replace(at, honest.size(), lie);
        TempDir tmp;
        write_bytes(tmp.file("lie.mbox"), bytes);
        ReadAll r = read_all(tmp.file("lie.mbox"));
        REQUIRE(r.status.ok());
        REQUIRE(r.messages.size() == good.messages.size());
        CHECK_FALSE(r.messages[liar].content_length_used);
        CHECK(r.warned("does not match"));
        for (size_t i = 0; i < good.messages.size(); ++i)
            if (i != liar) CHECK(r.messages[i].bytes == good.messages[i].bytes);
        std::string fixed = r.messages[liar].bytes;
        fixed.replace(fixed.find(lie), std::string(lie).size(), honest);
        CHECK(fixed == good.messages[liar].bytes);
    }
}

TEST_CASE("generated corpus: a truncated last message and text before the first From_ line", "[mbox][corpus]") {
    ReadAll cut = read_all(gen::path("mbox/broken/truncated.mbox"));
    REQUIRE_FALSE(cut.messages.empty());
    CHECK(cut.messages.back().bytes.back() != '\n');
    CHECK(cut.warned("line break"));
    ReadAll garbage = read_all(gen::path("mbox/broken/garbage-first.mbox"));
    CHECK(garbage.report.skipped == 1);
    CHECK_FALSE(garbage.report.warnings.empty());
    REQUIRE_FALSE(garbage.messages.empty());
    CHECK(garbage.messages[0].has_from_line);
    CHECK(garbage.messages[0].bytes.rfind("From: ", 0) == 0);
}

TEST_CASE("gzip input is recognised by its magic bytes and gives the same messages", "[mbox][corpus]") {
    const std::string month = gen::path("mbox/list/list-month.mbox");
    std::string plain = read_bytes(month);
    ReadAll want = read_all(month);
    REQUIRE(want.report.variant == Variant::mboxrd);
    TempDir tmp;
    write_bytes(tmp.file("archive.txt"), gzip(plain));  // the name says nothing
    ReadAll got = read_all(tmp.file("archive.txt"));
    REQUIRE(got.status.ok());
    CHECK(got.report.gzip);
    CHECK(got.bytes() == want.bytes());
    CHECK(got.report.variant == Variant::mboxrd);  // the look-ahead reads the gzip again

    // Concatenated members (gzip a b > c) read as one stream, as gzip -d does.
    size_t half = plain.size() / 2;
    write_bytes(tmp.file("two.gz"), gzip(plain.substr(0, half)) + gzip(plain.substr(half)));
    got = read_all(tmp.file("two.gz"));
    REQUIRE(got.status.ok());
    CHECK(got.bytes() == want.bytes());

    // Junk after the last member: ignored, with a warning.
    write_bytes(tmp.file("junk.gz"), gzip(plain) + "junk");
    got = read_all(tmp.file("junk.gz"));
    REQUIRE(got.status.ok());
    CHECK(got.bytes() == want.bytes());
    CHECK(got.warned("after the end of the gzip stream"));
}

TEST_CASE("a broken gzip stream is an error naming the file and offset, earlier messages are kept", "[mbox]") {
    auto [file, originals] = synthetic_mbox(300);
    std::string gz = gzip(file);
    REQUIRE(gz.size() > 20000);
    TempDir tmp;
    struct Row {
        const char* name;
        std::string bytes;
        const char* says;
    };
    std::string corrupt = gz;
    for (size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i) corrupt[i] = static_cast<char>(0xff);
    const Row table[] = {
        {"truncated", gz.substr(0, gz.size() / 2), "truncated"},
        {"corrupt", corrupt, "corrupt gzip data"},
    };
    for (const auto& r : table) {
        CAPTURE(r.name);
        std::string path = tmp.file(std::string(r.name) + ".mbox.gz");
        write_bytes(path, r.bytes);
        ReadAll got = read_all(path);
        REQUIRE_FALSE(got.status.ok());
        CHECK(got.status.error().kind == ErrorKind::invalid_data);
        std::string text = got.status.error().describe();
        CAPTURE(text);
        CHECK(text.find(path) != std::string::npos);
        CHECK(text.find(r.says) != std::string::npos);
        CHECK(text.find("compressed offset") != std::string::npos);
        CHECK(text.find("was not read") != std::string::npos);
        // Everything before the break arrived intact, in order.
        CHECK(got.messages.size() > 10);
        CHECK(got.messages.size() < originals.size());
        for (size_t i = 0; i + 1 < got.messages.size(); ++i) CHECK(got.messages[i].bytes == originals[i]);
    }
}

TEST_CASE("round trip: every generated mbox -> read -> write mboxrd -> read gives the same messages", "[mbox][corpus]") {
    for (const gen::json* c : gen::containers("mbox")) {
        CAPTURE(c->at("path").get<std::string>());
        check_round_trip(gen::path(c->at("path")));
    }
}
