// Real-mail tests of the mbox reader: facts of specific files of the real-mail
// corpus (test_corpus.hpp), pinned by hand. Each is reported skipped when that
// corpus is absent; its generated counterpart in mbox_corpus_test.cpp runs
// everywhere and is named in each test's comment.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "formats/mbox/mbox_reader.hpp"
#include "mbox_test_support.hpp"
#include "test_corpus.hpp"
#include "test_files.hpp"

using namespace mailferry;
using namespace mailferry::mbox;
using namespace mbox_test;
using mailferry::test::gzip;

namespace {

// Messages per real-corpus mbox. Established by `grep -c '^From '` on each
// file, then by reading every line the count and our reader disagree on, and
// by Python 3.11's mailbox.mbox (which splits at every '^From ' line) giving
// the same message bytes as ours. The only disagreement is
// mimekit/unmunged.mbox: grep counts 3 lines but the first From_ line hides
// behind a UTF-8 BOM and two of the three are the body line "From Russia with
// love": 2 messages. (perl-mail-box/mbox.win.crlf.mbox: Python keeps the CRLF
// separator inside the message since it only knows "\n" separators; we drop
// it, as its Content-Length headers say.)
const std::map<std::string, uint64_t> real_counts = {
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

std::vector<std::string> real_mbox_files(const std::string& mbox_dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(mbox_dir))
        if (e.is_regular_file() && e.path().extension() == ".mbox")
            out.push_back(fs::relative(e.path(), mbox_dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

// Generated counterpart: "generated corpus: every mbox gives its manifest's messages, byte for byte".
TEST_CASE("real mail: every real-corpus mbox gives the pinned number of messages, without errors", "[mbox][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    const std::string mbox_dir = dev + "/mbox";
    std::vector<std::string> files = real_mbox_files(mbox_dir);
    CHECK(files.size() == real_counts.size());
    for (const auto& rel : files) {
        CAPTURE(rel);
        auto want = real_counts.find(rel);
        REQUIRE(want != real_counts.end());
        ReadAll got = read_all(mbox_dir + "/" + rel);
        REQUIRE(got.status.ok());
        CHECK(got.report.messages == want->second);
        CHECK(got.report.skipped == 0);
        for (const auto& w : got.report.warnings) FAIL_CHECK("warning at " << w.offset << ": " << w.text);
    }
}

// Generated counterpart: "generated corpus: a BOM, 'From -' separators, and 'From Russia' stays in the body".
TEST_CASE("real mail: MimeKit's unmunged mbox: BOM, 'From -' separators, From Russia stays in the body", "[mbox][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    ReadAll got = read_all(dev + "/mbox/mimekit/unmunged.mbox");
    REQUIRE(got.messages.size() == 2);
    CHECK(got.messages[0].offset == 3);
    CHECK(got.messages[0].sender == "-");
    CHECK_FALSE(got.messages[0].date.has_value());
    for (const auto& m : got.messages) {
        CHECK(m.bytes.rfind("From: Jeffrey Stedfast", 0) == 0);
        CHECK(m.bytes.find("\nFrom Russia with love\n") != std::string::npos);
    }
}

// Generated counterpart: "generated corpus: one month from three archive servers: mboxrd, mboxo, over-escaped".
TEST_CASE("real mail: the same maven message from three archive servers, mboxrd un-escaped", "[mbox][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
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
        ReadAll got = read_all(dev + "/mbox/" + r.file);
        REQUIRE(got.messages.size() == 1);
        CHECK(got.report.variant == Variant::mboxrd);
        CHECK(got.messages[0].bytes.find(r.quoted) != std::string::npos);
    }
    // In the whole month, ">From my perspective" was an escaped body line.
    ReadAll month = read_all(dev + "/mbox/ponymail-asf/maven-dev-2017-11-listsao.mbox");
    CHECK(month.report.variant == Variant::mboxrd);
    int plain = 0;
    for (const auto& m : month.messages) plain += m.bytes.find("\nFrom my perspective") != std::string::npos;
    CHECK(plain == 2);
}

// Generated counterpart: "generated corpus: Content-Length mboxes: the length used, Status and X-Status read".
TEST_CASE("real mail: perl Mail::Box mboxes: Content-Length used, Status and X-Status read", "[mbox][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    for (const char* rel : {"perl-mail-box/mbox.src.mbox", "perl-mail-box/mbox.win.crlf.mbox"}) {
        CAPTURE(rel);
        ReadAll got = read_all(dev + "/mbox/" + rel);
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
    ReadAll crlf = read_all(dev + "/mbox/perl-mail-box/mbox.win.crlf.mbox");
    for (const auto& m : crlf.messages) CHECK(m.bytes.substr(m.bytes.size() - 2) == "\r\n");
}

// Generated counterpart: "generated corpus: a Content-Length that lies falls back to From_ lines, losing nothing".
TEST_CASE("real mail: a Content-Length that lies falls back to From_ lines, losing nothing", "[mbox][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    // The real corpus' mbox.cpy.mbox only has wrong Lines: headers (its
    // Content-Length values are right); make them lie here: too short, too long.
    const std::string cpy = dev + "/mbox/perl-mail-box/mbox.cpy.mbox";
    std::string original = read_bytes(cpy);
    ReadAll good = read_all(cpy);
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

// Generated counterpart: "gzip input is recognised by its magic bytes and gives the same messages".
TEST_CASE("real mail: the maven month gzipped gives the same messages, still detected as mboxrd", "[mbox][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    const std::string month = dev + "/mbox/ponymail-asf/maven-dev-2017-11-listsao.mbox";
    ReadAll want = read_all(month);
    TempDir tmp;
    write_bytes(tmp.file("archive.txt"), gzip(read_bytes(month)));
    ReadAll got = read_all(tmp.file("archive.txt"));
    REQUIRE(got.status.ok());
    CHECK(got.report.gzip);
    CHECK(got.bytes() == want.bytes());
    CHECK(got.report.variant == Variant::mboxrd);
}

// Generated counterpart: "round trip: every generated mbox -> read -> write mboxrd -> read gives the same messages".
TEST_CASE("real mail: round trip: every real-corpus mbox -> read -> write mboxrd -> read gives the same messages",
          "[mbox][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    for (const auto& rel : real_mbox_files(dev + "/mbox")) {
        CAPTURE(rel);
        check_round_trip(dev + "/mbox/" + rel);
    }
}
