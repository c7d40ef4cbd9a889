// EmlSource (a tree of message files) and what `import` makes of a path.
#include <catch2/catch.hpp>

#include <set>

#include "formats/detect_format.hpp"
#include "formats/eml/eml_source.hpp"
#include "import_test_support.hpp"
#include "test_corpus.hpp"
#include "wrap/sha256.hpp"

using namespace mailferry;
using namespace mailferry::eml;
using namespace import_test;
using mbox_test::TempDir;
using mbox_test::write_bytes;
namespace fs = std::filesystem;

TEST_CASE("an EML file's first line is its mbox envelope only when it is a From_ line", "[eml]") {
    auto with = split_envelope("From someone@example.org  Mon Nov  9 21:54:11 1999\nSubject: x\n\nbody\n");
    CHECK(with.had_envelope);
    CHECK(with.bytes == "Subject: x\n\nbody\n");
    CHECK(with.envelope_date == 942184451);
    auto weak = split_envelope("From -\r\nSubject: x\r\n\r\n");
    CHECK(weak.had_envelope);
    CHECK(weak.bytes == "Subject: x\r\n\r\n");
    CHECK_FALSE(weak.envelope_date.has_value());
    for (const char* plain : {"Subject: x\n\nFrom here\n", "From: a@b\n\n", "From Russia with love\n", ""}) {
        CAPTURE(plain);
        auto m = split_envelope(plain);
        CHECK_FALSE(m.had_envelope);
        CHECK(m.bytes == plain);
    }
}

TEST_CASE("EmlSource: folders from subdirectories, SHA-256 identity, received date from envelope, Date: or mtime",
          "[eml][import]") {
    TempDir d;
    std::string root = d.file("saved");
    fs::create_directories(root + "/Kunden/2024");
    fs::create_directories(root + "/.hidden");
    std::string a = "Subject: a\nDate: Tue, 1 Jul 2003 10:52:37 +0200\n\nA\n";
    std::string b = "Subject: b\n\nB\n";
    write_bytes(root + "/a.eml", a);
    write_bytes(root + "/copy-of-a.eml", a);
    write_bytes(root + "/Kunden/2024/b.msg", "From x@y Sat Jan  1 00:00:00 2011\n" + b);
    write_bytes(root + "/Kunden/2024/no-date.txt", "Subject: c\n\nC\n");
    write_bytes(root + "/Kunden/2024/empty.eml", "");
    write_bytes(root + "/.hidden/x.eml", "Subject: hidden\n\n");
    write_bytes(root + "/.dotfile", "Subject: hidden\n\n");
    set_mtime(root + "/Kunden/2024/no-date.txt", 1400000000);

    Context c;
    EmlSource s({root, ""}, c.ctx());
    auto folders = s.list_folders();
    REQUIRE(folders.ok());
    REQUIRE(folders->size() == 2);
    CHECK((*folders)[0].name == "saved");
    CHECK((*folders)[1].name == "saved/Kunden/2024");
    auto top = fetch_folder(s, (*folders)[0]);
    REQUIRE(top.size() == 1);  // a.eml and its copy are one message
    CHECK(top[0].bytes == a);
    CHECK(top[0].key == wrap::sha256_hex(a));
    CHECK(top[0].received == 1057049557);
    CHECK(top[0].received_from == "date");
    CHECK(c.warned("copy-of-a.eml: the same message as"));
    auto sub = fetch_folder(s, (*folders)[1]);
    REQUIRE(sub.size() == 2);
    CHECK(sub[0].bytes == b);
    CHECK(sub[0].received == 1293840000);
    CHECK(sub[0].received_from == "from_line");
    CHECK(sub[1].received == 1400000000);
    CHECK(sub[1].received_from == "mtime");
    CHECK(c.warned("empty.eml: empty file"));
    CHECK(c.notes.errors().empty());

    // Again with one more file: it alone is new, whatever its name.
    write_bytes(root + "/Kunden/2024/0-first-by-name.eml", "Subject: d\n\nD\n");
    EmlSource again({root, "Import"}, c.ctx());
    auto f2 = again.list_folders();
    REQUIRE(f2.ok());
    CHECK((*f2)[0].name == "Import");
    CHECK((*f2)[1].name == "Import/Kunden/2024");
    EmlSource same({root, ""}, c.ctx());
    REQUIRE(same.list_folders().ok());
    auto fresh = fetch_folder(same, (*folders)[1], 3);
    REQUIRE(fresh.size() == 1);
    CHECK(fresh[0].bytes == "Subject: d\n\nD\n");
}

TEST_CASE("EmlSource: one file is one message in INBOX or --folder", "[eml][import]") {
    TempDir d;
    write_bytes(d.file("one.eml"), "Subject: one\n\n1\n");
    Context c;
    EmlSource s({d.file("one.eml"), ""}, c.ctx());
    auto folders = s.list_folders();
    REQUIRE(folders.ok());
    REQUIRE(folders->size() == 1);
    CHECK(folders->front().raw_name == "INBOX");
    CHECK(fetch_folder(s, folders->front()).size() == 1);
    EmlSource named({d.file("one.eml"), "Receipts"}, c.ctx());
    CHECK(named.list_folders()->front().name == "Receipts");
}

namespace {

struct PlanRow {
    std::string path;
    formats::Format format;
    size_t units;
    formats::Format first_format;
    std::string first_folder;
};

void check_plans(const std::vector<PlanRow>& table) {
    for (const auto& r : table) {
        CAPTURE(r.path, formats::format_name(r.format));
        auto units = formats::plan_import(r.path, r.format, "");
        REQUIRE(units.ok());
        REQUIRE(units->size() == r.units);
        CHECK(units->front().format == r.first_format);
        CHECK(units->front().folder == r.first_folder);
        CHECK(fs::path(units->front().path).is_absolute());
    }
}

}  // namespace

TEST_CASE("import paths: what each holds and the folder names it gives (generated corpus)", "[import][corpus]") {
    using formats::Format;
    const std::string root = test::generated_corpus_dir();
    const size_t mboxes = gen::containers("mbox").size();
    check_plans({
        {root + "/mbox/content-length/cl.mbox", Format::auto_detect, 1, Format::mbox, "cl"},
        {root + "/mbox/quirks/bom-from-dash.mbox", Format::auto_detect, 1, Format::mbox, "bom-from-dash"},
        {root + "/mbox/gzip/list.mbox.gz", Format::auto_detect, 1, Format::mbox, "list"},
        // Every file below mbox/ looks like an mbox (text before the first From_ line included).
        {root + "/mbox", Format::auto_detect, mboxes, Format::mbox, "mbox/broken/garbage-first"},
        {root + "/mbox/", Format::auto_detect, mboxes, Format::mbox, "mbox/broken/garbage-first"},
        {root + "/maildir/dovecot-maildirpp", Format::auto_detect, 1, Format::maildir, ""},
        {root + "/maildir/fs-layout", Format::auto_detect, 1, Format::maildir, ""},
        {root + "/maildir/flat", Format::auto_detect, 1, Format::maildir, ""},
        {root + "/eml", Format::auto_detect, 1, Format::eml, ""},
        {root + "/malformed", Format::auto_detect, 1, Format::eml, ""},
        // A message file whose first line is an mbox envelope reads as a one-message mbox, unless told.
        {root + "/eml/headers/mbox-envelope.eml", Format::auto_detect, 1, Format::mbox, "mbox-envelope"},
        {root + "/eml/headers/mbox-envelope.eml", Format::eml, 1, Format::eml, ""},
        {root + "/eml/charsets/utf-8-qp.eml", Format::auto_detect, 1, Format::eml, ""},
        {root + "/maildir", Format::auto_detect, 1, Format::maildir, ""},
        {root + "/maildir", Format::eml, 1, Format::eml, ""},
        {root + "/maildir", Format::maildir, 1, Format::maildir, ""},
    });
    auto named = formats::plan_import(root + "/mbox/content-length", formats::Format::auto_detect, "Lists");
    REQUIRE(named.ok());
    CHECK(named->front().folder == "Lists/cl-crlf");
    CHECK(formats::mbox_folder_name("x.mbox.gz") == "x");
    CHECK(formats::mbox_folder_name("Inbox") == "Inbox");
    CHECK(formats::mbox_folder_name("a.b.mbox") == "a.b");
    CHECK(formats::plan_import(root + "/no-such-thing", formats::Format::auto_detect, "").error().kind == ErrorKind::usage);
    CHECK(formats::plan_import(root + "/mbox/quirks/no-date.mbox", formats::Format::maildir, "").error().kind ==
          ErrorKind::usage);
}

TEST_CASE("EmlSource: the generated eml/ tree: a folder per group, each message once, envelope dropped",
          "[eml][import][corpus]") {
    Context c;
    EmlSource s({test::generated_corpus_dir() + "/eml", ""}, c.ctx());
    auto folders = s.list_folders();
    REQUIRE(folders.ok());
    size_t groups = 0;
    for (const gen::json* box : gen::containers("eml-folder")) {
        const std::string rel = box->at("path");
        if (rel.rfind("eml/", 0) != 0) continue;
        CAPTURE(rel);
        ++groups;
        std::multiset<std::string> want;
        for (const auto& r : box->at("messages")) want.insert(r.at("sha256").get<std::string>());
        std::multiset<std::string> got;
        for (const auto& m : fetch_folder(s, folder_named(*folders, rel))) got.insert(wrap::sha256_hex(m.bytes));
        CHECK(got == want);
    }
    CHECK(folders->size() == groups);
    CHECK(c.notes.errors().empty());
}

// Generated counterpart: "import paths: what each holds and the folder names it gives (generated corpus)".
TEST_CASE("real mail: import paths: what each holds and the folder names it gives", "[import][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    using formats::Format;
    check_plans({
        {dev + "/mbox/perl-mail-box/mbox.src.mbox", Format::auto_detect, 1, Format::mbox, "mbox.src"},
        {dev + "/mbox/mimekit/unmunged.mbox", Format::auto_detect, 1, Format::mbox, "unmunged"},
        {dev + "/mbox", Format::auto_detect, 40, Format::mbox, "mbox/gmime/substring"},
        {dev + "/mbox/", Format::auto_detect, 40, Format::mbox, "mbox/gmime/substring"},
        {dev + "/maildir/dovecot-maildirpp", Format::auto_detect, 1, Format::maildir, ""},
        {dev + "/maildir/notmuch-default", Format::auto_detect, 1, Format::maildir, ""},
        {dev + "/maildir/notmuch-lkml", Format::auto_detect, 1, Format::maildir, ""},
        {dev + "/eml", Format::auto_detect, 1, Format::eml, ""},
        {dev + "/malformed", Format::auto_detect, 1, Format::eml, ""},
        {dev + "/eml/hyperkitty/resent-date.txt", Format::auto_detect, 1, Format::mbox, "resent-date"},
        {dev + "/eml/hyperkitty/resent-date.txt", Format::eml, 1, Format::eml, ""},
        {dev + "/eml/python-email/msg_01.txt", Format::auto_detect, 1, Format::eml, ""},
        {dev + "/maildir", Format::auto_detect, 1, Format::maildir, ""},
        {dev + "/maildir", Format::eml, 1, Format::eml, ""},
        {dev + "/maildir", Format::maildir, 1, Format::maildir, ""},
    });
    auto named = formats::plan_import(dev + "/mbox/ponymail-asf", formats::Format::auto_detect, "Lists");
    REQUIRE(named.ok());
    CHECK(named->front().folder == "Lists/asterix-dev-201709-mailarchivesao");
    CHECK(formats::plan_import(dev + "/mbox/mimekit/simple.mbox", formats::Format::maildir, "").error().kind ==
          ErrorKind::usage);
}
