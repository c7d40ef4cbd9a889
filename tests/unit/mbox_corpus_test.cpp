// The mbox reader against the dev corpus (MANIFEST.md, mbox section), gzip
// input (good, concatenated, truncated, corrupt), and the round trip
// corpus -> read -> write mboxrd -> read.
#include <catch2/catch.hpp>


#include <algorithm>
#include <map>

#include "formats/mbox/mbox_reader.hpp"
#include "formats/mbox/mbox_writer.hpp"
#include "mbox_test_support.hpp"
#include "wrap/sha256.hpp"
#include "test_files.hpp"

using namespace mailferry;
using namespace mailferry::mbox;
using namespace mbox_test;
using mailferry::test::gzip;

namespace {

// Messages per corpus mbox. Established by `grep -c '^From '` on each file,
// then by reading every line the count and our reader disagree on, and by
// Python 3.11's mailbox.mbox (which splits at every '^From ' line) giving the
// same message bytes as ours. The only disagreement is mimekit/unmunged.mbox:
// grep counts 3 lines but the first From_ line hides behind a UTF-8 BOM and
// two of the three are the body line "From Russia with love": 2 messages.
// (perl-mail-box/mbox.win.crlf.mbox: Python keeps the CRLF separator inside
// the message since it only knows "\n" separators; we drop it, as its
// Content-Length headers say.)
const std::map<std::string, uint64_t> corpus_counts = {
    {"gmime/substring.mbox", 3},
    {"mimekit/issue1189.mbox", 4},
    {"mimekit/simple.mbox", 3},
    {"mimekit/unmunged.mbox", 2},
    {"perl-mail-box/mbox.cpy.mbox", 45},
    {"perl-mail-box/mbox.src.mbox", 45},
    {"perl-mail-box/mbox.win.crlf.mbox", 45},
    {"ponymail-asf/asterix-dev-201709-mailarchivesao.mbox", 53},
    {"ponymail-asf/commits_ponymail_apache_org_2016-06.mbox", 82},
    {"ponymail-asf/empty_attachment.mbox", 1},
    {"ponymail-asf/empty_body.mbox", 1},
    {"ponymail-asf/httpd-dev-28428.mbox", 1},
    {"ponymail-asf/httpd-users-200606-part.mbox", 12},
    {"ponymail-asf/httpd-users-2020-07.asf.mbox", 108},
    {"ponymail-asf/httpd-users-2020-07.mbox", 108},
    {"ponymail-asf/httpd-users-4950.mbox", 1},
    {"ponymail-asf/maven-dev-2017-11-124652-listsao.mbox", 1},
    {"ponymail-asf/maven-dev-2017-11-124652-mailarchivesao.mbox", 1},
    {"ponymail-asf/maven-dev-2017-11-124652-mboxvm.mbox", 1},
    {"ponymail-asf/maven-dev-2017-11-listsao.mbox", 320},
    {"ponymail-asf/maven-dev-2017-11-mailarchivesao.mbox", 317},
    {"ponymail-asf/maven-dev-2017-11-mboxvm.mbox", 317},
    {"ponymail-asf/maven-dev-2017-12-listsao.mbox", 222},
    {"ponymail-asf/maven_duplicates_2017_listsao_1.mbox", 10},
    {"ponymail-asf/maven_duplicates_2017_listsao_2.mbox", 10},
    {"ponymail-asf/maven_duplicates_2017_mailarchivesao.mbox", 10},
    {"ponymail-asf/maven_duplicates_2017_mboxvm.mbox", 10},
    {"ponymail-asf/nexus-html-only.mbox", 3},
    {"ponymail-asf/no_date.mbox", 1},
    {"ponymail-asf/ponymail-dev-1079-mailarchiesao.mbox", 1},
    {"ponymail-asf/ponymail-dev-1079-mboxvm.mbox", 1},
    {"ponymail-asf/ponymail-dev-1080-listsao.mbox", 1},
    {"ponymail-asf/ponymail-dev-1080-mailarchiesao.mbox", 1},
    {"ponymail-asf/ponymail-dev-1080-mboxvm.mbox", 1},
    {"ponymail-asf/text_enriched.mbox", 1},
    {"ponymail-asf/tomcat-ancient-boundary.mbox", 1},
    {"ponymail-foal/dev_ponymail_apache_org_2020-10.mbox", 1},
    {"ponymail-foal/n47hcfdt6z70tqxvnhgn3zrdwqgg36yl.mbox", 1},
    {"ponymail-foal/users_ponymail_apache_org_2019-09.mbox", 4},
    {"ponymail-foal/users_ponymail_apache_org_2022-01.mbox", 6},
};

std::string mbox_dir() { return corpus_dir() + "/mbox"; }

std::vector<std::string> corpus_files() {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(mbox_dir()))
        if (e.is_regular_file() && e.path().extension() == ".mbox")
            out.push_back(fs::relative(e.path(), mbox_dir()).string());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> hashes(const std::vector<std::string>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(wrap::sha256_hex(m));
    std::sort(out.begin(), out.end());
    return out;
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

TEST_CASE("every corpus mbox gives the pinned number of messages, without errors", "[mbox]") {
    REQUIRE(fs::is_directory(mbox_dir()));
    std::vector<std::string> files = corpus_files();
    CHECK(files.size() == corpus_counts.size());
    for (const auto& rel : files) {
        CAPTURE(rel);
        auto want = corpus_counts.find(rel);
        REQUIRE(want != corpus_counts.end());
        ReadAll got = read_all(mbox_dir() + "/" + rel);
        REQUIRE(got.status.ok());
        CHECK(got.report.messages == want->second);
        CHECK(got.report.skipped == 0);
        for (const auto& w : got.report.warnings) FAIL_CHECK("warning at " << w.offset << ": " << w.text);
    }
}

TEST_CASE("corpus: MimeKit's unmunged mbox: BOM, 'From -' separators, From Russia stays in the body", "[mbox]") {
    ReadAll got = read_all(mbox_dir() + "/mimekit/unmunged.mbox");
    REQUIRE(got.messages.size() == 2);
    CHECK(got.messages[0].offset == 3);
    CHECK(got.messages[0].sender == "-");
    CHECK_FALSE(got.messages[0].date.has_value());
    for (const auto& m : got.messages) {
        CHECK(m.bytes.rfind("From: Jeffrey Stedfast", 0) == 0);
        CHECK(m.bytes.find("\nFrom Russia with love\n") != std::string::npos);
    }
}

TEST_CASE("corpus: the same maven message from three archive servers, mboxrd un-escaped", "[mbox]") {
    struct Row {
        const char* file;
        const char* quoted;
    };
    // mboxvm wrote ">>>From" for the ">From" its siblings escaped to ">>From":
    // it over-escapes, and no reader can tell; we give what mboxrd says.
    const Row table[] = {
        {"ponymail-asf/maven-dev-2017-11-124652-listsao.mbox", "\n>From \"Failed to create parent directories\"..."},
        {"ponymail-asf/maven-dev-2017-11-124652-mailarchivesao.mbox", "\n>From \"Failed to create parent directories\"..."},
        {"ponymail-asf/maven-dev-2017-11-124652-mboxvm.mbox", "\n>>From \"Failed to create parent directories\"..."},
    };
    for (const auto& r : table) {
        CAPTURE(r.file);
        ReadAll got = read_all(mbox_dir() + "/" + r.file);
        REQUIRE(got.messages.size() == 1);
        CHECK(got.report.variant == Variant::mboxrd);
        CHECK(got.messages[0].bytes.find(r.quoted) != std::string::npos);
    }
    // In the whole month, ">From my perspective" was an escaped body line.
    ReadAll month = read_all(mbox_dir() + "/ponymail-asf/maven-dev-2017-11-listsao.mbox");
    CHECK(month.report.variant == Variant::mboxrd);
    int plain = 0;
    for (const auto& m : month.messages) plain += m.bytes.find("\nFrom my perspective") != std::string::npos;
    CHECK(plain == 2);
}

TEST_CASE("corpus: perl Mail::Box mboxes: Content-Length used, Status and X-Status read", "[mbox]") {
    for (const char* rel : {"perl-mail-box/mbox.src.mbox", "perl-mail-box/mbox.win.crlf.mbox"}) {
        CAPTURE(rel);
        ReadAll got = read_all(mbox_dir() + "/" + rel);
        REQUIRE(got.messages.size() == 45);
        int answered = 0;
        for (const auto& m : got.messages) {
            CHECK(m.content_length_used);
            CHECK(m.flags.seen);
            CHECK(m.old);
            CHECK_FALSE(m.sender.empty());
            CHECK(m.date.has_value());
            answered += m.flags.answered;
        }
        CHECK(answered == 12);
        CHECK(got.messages[0].sender == "magick-owner@unca-don.wizards.dupont.com");
        CHECK(got.messages[0].date == 950133720 - 3600);  // Wed Feb  9 22:02 MET 2000
    }
    ReadAll crlf = read_all(mbox_dir() + "/perl-mail-box/mbox.win.crlf.mbox");
    for (const auto& m : crlf.messages) CHECK(m.bytes.substr(m.bytes.size() - 2) == "\r\n");
}

TEST_CASE("corpus: a Content-Length that lies falls back to From_ lines, losing nothing", "[mbox]") {
    // The dev corpus' mbox.cpy.mbox only has wrong Lines: headers (its
    // Content-Length values are right); make them lie here: too short, too long.
    std::string original = read_bytes(mbox_dir() + "/perl-mail-box/mbox.cpy.mbox");
    ReadAll good = read_all(mbox_dir() + "/perl-mail-box/mbox.cpy.mbox");
    REQUIRE(good.messages.size() == 45);
    for (const char* lie : {"Content-Length: 10", "Content-Length: 99999999", "Content-Length: 2000"}) {
        CAPTURE(lie);
        std::string bytes = original;
        size_t at = bytes.find("Content-Length: 1056");  // message 20
        REQUIRE(at != std::string::npos);
        bytes.replace(at, 20, lie);
        TempDir tmp;
        write_bytes(tmp.file("lie.mbox"), bytes);
        ReadAll got = read_all(tmp.file("lie.mbox"));
        REQUIRE(got.status.ok());
        REQUIRE(got.messages.size() == 45);
        CHECK_FALSE(got.messages[20].content_length_used);
        CHECK(got.warned("does not match"));
        for (size_t i = 0; i < 45; ++i) {
            if (i == 20) continue;
            CHECK(got.messages[i].bytes == good.messages[i].bytes);
        }
        std::string fixed = got.messages[20].bytes;
        fixed.replace(fixed.find(lie), std::string(lie).size(), "Content-Length: 1056");
        CHECK(fixed == good.messages[20].bytes);
    }
}

TEST_CASE("gzip input is recognised by its magic bytes and gives the same messages", "[mbox]") {
    std::string plain = read_bytes(mbox_dir() + "/ponymail-asf/maven-dev-2017-11-listsao.mbox");
    ReadAll want = read_all(mbox_dir() + "/ponymail-asf/maven-dev-2017-11-listsao.mbox");
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

TEST_CASE("round trip: corpus mbox -> read -> write mboxrd -> read gives the same messages", "[mbox]") {
    TempDir tmp;
    for (const auto& rel : corpus_files()) {
        CAPTURE(rel);
        ReadAll first = read_all(mbox_dir() + "/" + rel);
        REQUIRE(first.status.ok());
        std::string out = tmp.file("out.mbox");
        fs::remove(out);
        auto w = MboxWriter::open(out);
        REQUIRE(w.ok());
        for (const auto& m : first.messages) {
            auto a = w->append(m.bytes, m.date.value_or(0), m.sender);
            REQUIRE(a.ok());
            CHECK_FALSE(a->newline_added);
        }
        REQUIRE(w->close().ok());
        ReaderOptions rd;
        rd.variant = Variant::mboxrd;  // what we wrote
        ReadAll second = read_all(out, rd);
        REQUIRE(second.status.ok());
        CHECK(second.report.messages == first.report.messages);
        CHECK(hashes(second.bytes()) == hashes(first.bytes()));
        CHECK(second.bytes() == first.bytes());  // and in the same order
        for (size_t i = 0; i < std::min(first.messages.size(), second.messages.size()); ++i) {
            CHECK(second.messages[i].flags == first.messages[i].flags);
            if (first.messages[i].date) CHECK(second.messages[i].date == first.messages[i].date);
        }
    }
}
