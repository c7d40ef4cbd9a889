// The Maildir reader and MaildirSource: Maildir++ and file-system layout trees,
// what counts as a message, flags and keywords, identity.
#include <catch2/catch.hpp>

#include <algorithm>

#include "formats/maildir/maildir_naming.hpp"
#include "formats/maildir/maildir_reader.hpp"
#include "formats/maildir/maildir_source.hpp"
#include "import_test_support.hpp"

using namespace mailferry;
using namespace mailferry::maildir;
using namespace import_test;
using mbox_test::corpus_dir;
using mbox_test::TempDir;
using mbox_test::write_bytes;
namespace fs = std::filesystem;

TEST_CASE("info suffix letters: system flags, P as $Forwarded, keyword letters through dovecot-keywords", "[maildir]") {
    std::map<char, std::string> kw = {{'a', "$Forwarded"}, {'b', "Wichtig"}};
    CHECK(flags_from_info("FRST", kw).to_imap() == "\\Seen \\Answered \\Flagged \\Deleted");
    CHECK(flags_from_info("DS", kw).to_imap() == "\\Seen \\Draft");
    CHECK(flags_from_info("Sab", kw).to_imap() == "\\Seen $Forwarded Wichtig");
    CHECK(flags_from_info("PS", {}).to_imap() == "\\Seen $Forwarded");
    CHECK(flags_from_info("Sz", kw).to_imap() == "\\Seen");
    CHECK(flags_from_info("", kw).to_imap().empty());
}

TEST_CASE("corpus: Dovecot's Maildir++ tree: INBOX and nine folders, with their messages and keywords", "[maildir]") {
    std::string root = corpus_dir() + "/maildir/dovecot-maildirpp";
    auto folders = list_maildir_folders(root);
    REQUIRE(folders.ok());
    // Counts: `find DIR/cur DIR/new -type f | wc -l` per folder, and MANIFEST.md's table.
    const std::map<std::string, size_t> want = {
        {"INBOX", 108}, {"Lists/dev@maven.apache.org", 222}, {"Lists/dev@asterixdb.apache.org", 53},
        {"Archive/2016/ponymail-commits", 82}, {"Listen/ImageMagick – Ärger & Co", 45}, {"Отправленные", 5},
        {"日本語/受信箱", 3}, {"Drafts", 3}, {"Trash", 4}, {"Junk", 0}};
    REQUIRE(folders->size() == want.size());
    CHECK(folders->front().levels == std::vector<std::string>{"INBOX"});
    for (const auto& f : *folders) {
        std::string name = display_name_of(f.levels);
        CAPTURE(name);
        REQUIRE(want.count(name));
        auto listing = list_maildir_messages(f.path);
        REQUIRE(listing.ok());
        CHECK(listing->files.size() == want.at(name));
        CHECK(listing->warnings.empty());
    }
    auto maven = read_dovecot_keywords(root + "/.Lists.dev@maven\\2eapache\\2eorg");
    CHECK(maven == std::map<char, std::string>{{'a', "Wichtig"}});
    CHECK(read_dovecot_keywords(root) == std::map<char, std::string>{{'a', "$Forwarded"}});
}

TEST_CASE("corpus: notmuch's file-system layout tree, with mail outside cur/ and new/", "[maildir]") {
    std::string root = corpus_dir() + "/maildir/notmuch-default";
    auto folders = list_maildir_folders(root);
    REQUIRE(folders.ok());
    // `find` per directory: cur/ + new/ + files with ":2," directly in it.
    const std::vector<std::pair<std::string, size_t>> want = {
        {"INBOX", 28}, {"bar", 6}, {"bar/baz", 7}, {"foo", 6}, {"foo/baz", 6}};
    REQUIRE(folders->size() == want.size());
    size_t total = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        CAPTURE(want[i].first);
        CHECK(display_name_of((*folders)[i].levels) == want[i].first);
        auto listing = list_maildir_messages((*folders)[i].path);
        REQUIRE(listing.ok());
        CHECK(listing->files.size() == want[i].second);
        total += listing->files.size();
    }
    CHECK(total == 53);
}

TEST_CASE("corpus: the directory of four Maildirs is one tree, each Maildir a folder with its own below it",
          "[maildir]") {
    std::string root = corpus_dir() + "/maildir";
    CHECK(is_maildir_tree(root));
    CHECK_FALSE(is_maildir_tree(corpus_dir() + "/eml"));
    CHECK_FALSE(is_maildir_folder(root));
    auto folders = list_maildir_folders(root);
    REQUIRE(folders.ok());
    std::vector<std::string> names;
    size_t total = 0;
    for (const auto& f : *folders) {
        names.push_back(display_name_of(f.levels));
        total += list_maildir_messages(f.path)->files.size();
    }
    CHECK(names == std::vector<std::string>{
                       "dovecot-maildirpp", "dovecot-maildirpp/Отправленные", "dovecot-maildirpp/日本語/受信箱",
                       "dovecot-maildirpp/Archive/2016/ponymail-commits", "dovecot-maildirpp/Drafts",
                       "dovecot-maildirpp/Junk", "dovecot-maildirpp/Listen/ImageMagick – Ärger & Co",
                       "dovecot-maildirpp/Lists/dev@asterixdb.apache.org", "dovecot-maildirpp/Lists/dev@maven.apache.org",
                       "dovecot-maildirpp/Trash", "notmuch-default", "notmuch-default/bar", "notmuch-default/bar/baz",
                       "notmuch-default/foo", "notmuch-default/foo/baz", "notmuch-duplicate", "notmuch-lkml"});
    CHECK(total == 797);  // MANIFEST.md: 4 Maildir trees, 797 message files
}

TEST_CASE("an mbsync-style tree (no INBOX of its own in the root) is a Maildir tree", "[maildir]") {
    TempDir d;
    std::string root = d.file("Mail/work");
    for (const char* dir : {"INBOX/cur", "INBOX/new", "Archive/2019/cur", "Sent/cur"})
        fs::create_directories(fs::path(root) / dir);
    write_bytes(root + "/INBOX/cur/1.x:2,S", "Subject: 1\n\n");
    write_bytes(root + "/Archive/2019/cur/2.x:2,", "Subject: 2\n\n");
    write_bytes(root + "/.mbsyncstate", "state");
    write_bytes(root + "/INBOX/.uidvalidity", "1");
    CHECK(is_maildir_tree(root));
    auto folders = list_maildir_folders(root);
    REQUIRE(folders.ok());
    std::vector<std::string> names;
    for (const auto& f : *folders) names.push_back(display_name_of(f.levels));
    CHECK(names == std::vector<std::string>{"Archive/2019", "INBOX", "Sent"});
    write_bytes(root + "/notes.txt", "not in a Maildir");
    CHECK_FALSE(is_maildir_tree(root));
}

namespace {

// A small tree with every case the reader decides on.
struct Tree {
    TempDir dir;
    std::string root = dir.file("Maildir");
    Tree() {
        for (const char* d : {"cur", "new", "tmp", ".Sub.Deeper/cur", ".Empty", ".notmuch/xapian", "plain/cur",
                              "plain/nested/new", ".Hidden"})
            fs::create_directories(fs::path(root) / d);
        write_bytes(root + "/cur/100.a.host:2,RS", "Subject: one\n\nbody\n");
        write_bytes(root + "/cur/200.b.host:2,Sab", "Subject: two\n\nbody\n");
        write_bytes(root + "/new/300.c.host", "Subject: three\n\nbody\n");
        write_bytes(root + "/new/100.a.host", "Subject: one, again\n\nbody\n");  // same key as cur/: cur wins
        write_bytes(root + "/new/.hidden", "not mail");
        write_bytes(root + "/tmp/400.d.host", "Subject: delivery in progress\n\n");
        write_bytes(root + "/dovecot-uidlist", "3 V1 N1\n");
        write_bytes(root + "/dovecot-keywords", "0 $Forwarded\n1 Wichtig\n");
        write_bytes(root + "/500.e.host:2,F", "Subject: loose\n\nbody\n");
        write_bytes(root + "/.Sub.Deeper/cur/600.f.host!2,S", "Subject: deep\n\nbody\n");
        write_bytes(root + "/.Sub.Deeper/maildirfolder", "");
        write_bytes(root + "/.Empty/maildirfolder", "");
        write_bytes(root + "/.notmuch/xapian/x:2,", "index");
        write_bytes(root + "/plain/cur/700.g.host:2,", "Subject: plain\n\nbody\n");
        write_bytes(root + "/plain/nested/new/800.h.host", "Subject: nested\n\nbody\n");
        write_bytes(root + "/plain/nested/empty:2,", "");
        set_mtime(root + "/cur/100.a.host:2,RS", 1000000000);
    }
};

}  // namespace

TEST_CASE("a Maildir tree: which directories are folders and which files are messages", "[maildir]") {
    Tree t;
    auto folders = list_maildir_folders(t.root);
    REQUIRE(folders.ok());
    std::vector<std::string> names;
    for (const auto& f : *folders) names.push_back(display_name_of(f.levels));
    CHECK(names == std::vector<std::string>{"INBOX", "Empty", "Sub/Deeper", "plain", "plain/nested"});

    auto inbox = list_maildir_messages(t.root);
    REQUIRE(inbox.ok());
    std::vector<std::string> keys;
    for (const auto& f : inbox->files) keys.push_back(f.key);
    CHECK(keys == std::vector<std::string>{"100.a.host", "200.b.host", "300.c.host", "500.e.host"});
    CHECK(inbox->files[0].path == t.root + "/cur/100.a.host:2,RS");
    CHECK(inbox->files[0].info == "RS");
    CHECK(inbox->files[0].mtime == 1000000000);
    CHECK(inbox->files[2].info.empty());
    REQUIRE(inbox->warnings.size() == 1);
    CHECK(inbox->warnings[0].find("new/100.a.host") != std::string::npos);
    CHECK_FALSE(list_maildir_folders(t.dir.file("missing")).ok());
}

TEST_CASE("MaildirSource: stable UIDs from the keys, flags, mtime as received date, a second import adds nothing",
          "[maildir][import]") {
    Tree t;
    Context c;
    MaildirSource source({t.root, ""}, c.ctx());
    auto folders = source.list_folders();
    REQUIRE(folders.ok());
    REQUIRE(folders->size() == 5);
    const SourceFolder& inbox = folder_named(*folders, "INBOX");
    CHECK(inbox.raw_name == "INBOX");
    CHECK(inbox.delimiter == '/');

    auto got = fetch_folder(source, inbox, 1, 2);
    REQUIRE(got.size() == 4);
    CHECK(got[0].uid == 1);
    CHECK(got[0].key == "100.a.host");
    CHECK(got[0].bytes == "Subject: one\n\nbody\n");
    CHECK(got[0].flags == "\\Seen \\Answered");
    CHECK(got[0].received == 1000000000);
    CHECK(got[0].received_from == "mtime");
    CHECK(got[1].flags == "\\Seen $Forwarded Wichtig");
    CHECK(got[2].flags.empty());
    CHECK(got[3].flags == "\\Flagged");
    CHECK(fetch_folder(source, folder_named(*folders, "Sub/Deeper")).at(0).flags == "\\Seen");
    CHECK(fetch_folder(source, folder_named(*folders, "Empty")).empty());
    CHECK(fetch_folder(source, folder_named(*folders, "plain/nested")).size() == 1);
    CHECK(c.warned("plain/nested/empty:2,: empty file"));

    // Again, with one more message and one flag change: the new one gets the next UID.
    write_bytes(t.root + "/new/050.z.host", "Subject: new, sorts first\n\nbody\n");
    fs::rename(t.root + "/new/300.c.host", t.root + "/cur/300.c.host:2,S");
    MaildirSource again({t.root, ""}, c.ctx());
    REQUIRE(again.list_folders().ok());
    auto rest = fetch_folder(again, inbox, 5);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].uid == 5);
    CHECK(rest[0].key == "050.z.host");
    std::map<uint32_t, std::string> flags;
    REQUIRE(again.fetch_flags(4, [&](uint32_t uid, const Flags& f) { flags[uid] = f.to_imap(); }).ok());
    CHECK(flags == std::map<uint32_t, std::string>{{1, "\\Seen \\Answered"}, {2, "\\Seen $Forwarded Wichtig"},
                                                   {3, "\\Seen"}, {4, "\\Flagged"}});
}

TEST_CASE("MaildirSource: --folder puts the tree below one folder", "[maildir][import]") {
    Tree t;
    Context c;
    MaildirSource source({t.root, "Old mail/2019"}, c.ctx());
    auto folders = source.list_folders();
    REQUIRE(folders.ok());
    std::vector<std::string> names;
    for (const auto& f : *folders) names.push_back(f.name);
    CHECK(names == std::vector<std::string>{"Old mail/2019", "Old mail/2019/Empty", "Old mail/2019/Sub/Deeper",
                                            "Old mail/2019/plain", "Old mail/2019/plain/nested"});
    CHECK(fetch_folder(source, folders->front()).size() == 4);
}

TEST_CASE("MaildirSource: an unreadable or oversized file is reported, the others imported", "[maildir][import]") {
    Tree t;
    Context c;
    formats::SourceContext ctx = c.ctx();
    ctx.max_message_bytes = 40;  // the tree's messages are under it; this one is not:
    write_bytes(t.root + "/cur/900.big.host:2,", std::string(100, 'x'));
    MaildirSource source({t.root, ""}, ctx);
    auto folders = source.list_folders();
    REQUIRE(folders.ok());
    auto got = fetch_folder(source, folders->front());
    CHECK(got.size() == 4);
    CHECK(c.erred("900.big.host:2,: 100 bytes, larger than the limit of 40"));
    if (::geteuid() != 0) {  // root reads anything
        ::chmod((t.root + "/cur/200.b.host:2,Sab").c_str(), 0);
        Context c2;
        MaildirSource unreadable({t.root, ""}, c2.ctx());
        REQUIRE(unreadable.list_folders().ok());
        CHECK(fetch_folder(unreadable, folders->front()).size() == 4);
        CHECK(c2.erred("200.b.host"));
    }
}
