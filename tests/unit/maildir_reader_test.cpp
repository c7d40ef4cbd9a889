// The Maildir reader and MaildirSource: Maildir++ and file-system layout trees
// (the generated corpus' and, as real-mail tests, the real corpus'), what
// counts as a message, flags and keywords, identity.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "formats/maildir/maildir_naming.hpp"
#include "formats/maildir/maildir_reader.hpp"
#include "formats/maildir/maildir_source.hpp"
#include "import_test_support.hpp"
#include "test_corpus.hpp"

using namespace mailferry;
using namespace mailferry::maildir;
using namespace import_test;
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

namespace {

// The manifest's folders of a Maildir container, by the name the reader gives them.
std::map<std::string, const gen::json*> manifest_folders(const gen::json& c) {
    std::map<std::string, const gen::json*> out;
    for (const auto& f : c.at("folders")) out[f.at("name")] = &f;
    return out;
}

// Each listed file of one folder against the folder's records: the same files,
// flags and keywords from the info letters, mtime as the received date.
void check_listing(const MaildirFolderInfo& folder, const gen::json& want) {
    auto listing = list_maildir_messages(folder.path);
    REQUIRE(listing.ok());
    CHECK(listing->warnings.empty());
    REQUIRE(listing->files.size() == want.at("messages").size());
    std::map<std::string, const gen::json*> by_file;
    for (const auto& r : want.at("messages")) by_file[r.at("file")] = &r;
    const std::string corpus = test::generated_corpus_dir();
    auto keywords = read_dovecot_keywords(folder.path);
    for (const auto& f : listing->files) {
        std::string rel = fs::path(f.path).lexically_relative(corpus).string();
        CAPTURE(rel);
        REQUIRE(by_file.count(rel));
        const gen::json& r = *by_file[rel];
        Flags got = flags_from_info(f.info, keywords);
        CHECK(got.maildir_letters() == r.at("flags").get<std::string>());
        auto kw = r.at("keywords").get<std::vector<std::string>>();
        std::sort(kw.begin(), kw.end());
        CHECK(got.keywords == kw);
        CHECK(f.mtime == r.at("received").get<int64_t>());
        CHECK(f.size == r.at("size").get<uint64_t>());
    }
}

}  // namespace

TEST_CASE("generated corpus: Dovecot's Maildir++ tree: folders, messages, flags, keywords, dates", "[maildir][corpus]") {
    const gen::json& c = gen::container("maildir/dovecot-maildirpp");
    const std::string root = gen::path("maildir/dovecot-maildirpp");
    auto folders = list_maildir_folders(root);
    REQUIRE(folders.ok());
    auto want = manifest_folders(c);
    REQUIRE(folders->size() == want.size());
    CHECK(folders->front().levels == std::vector<std::string>{"INBOX"});
    size_t forwarded = 0;
    for (const auto& f : *folders) {
        std::string name = display_name_of(f.levels);
        CAPTURE(name);
        REQUIRE(want.count(name));
        check_listing(f, *want[name]);
        // dovecot-keywords in each folder that has keywords: letter a is the first line.
        std::map<char, std::string> letters;
        for (const auto& k : want[name]->at("keywords"))
            letters[static_cast<char>('a' + letters.size())] = k.get<std::string>();
        CHECK(read_dovecot_keywords(f.path) == letters);
        for (const auto& r : want[name]->at("messages")) forwarded += gen::has(r.at("keywords"), "$Forwarded");
    }
    // Listescape and modified UTF-7 undone; a parent without a directory; empty folders still folders.
    for (const char* name : {"Lists/dev@example.org", "Отправленные", "日本語/受信箱", "Listen/Ärger & Co", "Junk"})
        CHECK(want.count(name) == 1);
    CHECK(want.at("INBOX")->at("messages").size() == 100);
    CHECK(forwarded >= 12);
}

TEST_CASE("generated corpus: a nested file-system layout tree, with mail outside cur/ and new/", "[maildir][corpus]") {
    const gen::json& c = gen::container("maildir/fs-layout");
    const std::string root = gen::path("maildir/fs-layout");
    auto folders = list_maildir_folders(root);
    REQUIRE(folders.ok());
    auto want = manifest_folders(c);
    std::vector<std::string> names;
    for (const auto& f : *folders) {
        std::string name = display_name_of(f.levels);
        names.push_back(name);
        CAPTURE(name);
        REQUIRE(want.count(name));
        check_listing(f, *want[name]);
    }
    CHECK(names == std::vector<std::string>{"INBOX", "bar", "bar/baz", "foo", "foo/baz"});  // root first, then by path
    CHECK(gen::with_trait("outside-cur-new").size() >= 5);
    CHECK(gen::with_trait("info-in-new").size() >= 2);
}

TEST_CASE("generated corpus: the directory of Maildirs is one tree, each Maildir a folder with its own below it",
          "[maildir][corpus]") {
    const std::string root = gen::path("maildir");
    CHECK(is_maildir_tree(root));
    CHECK_FALSE(is_maildir_tree(gen::path("eml")));
    CHECK_FALSE(is_maildir_folder(root));
    auto folders = list_maildir_folders(root);
    REQUIRE(folders.ok());
    std::set<std::string> names;
    size_t total = 0;
    for (const auto& f : *folders) {
        names.insert(display_name_of(f.levels));
        total += list_maildir_messages(f.path)->files.size();
    }
    // Each Maildir container is a folder named after its directory, its own folders below it.
    std::set<std::string> want;
    size_t want_total = 0;
    for (const char* kind : {"maildir++", "maildir-nested", "maildir"})
        for (const gen::json* c : gen::containers(kind)) {
            std::string top = fs::path(c->at("path").get<std::string>()).filename().string();
            for (const auto& f : c->at("folders")) {
                want.insert(f.at("name") == "INBOX" ? top : top + "/" + f.at("name").get<std::string>());
                want_total += f.at("messages").size();
            }
        }
    CHECK(names == want);
    CHECK(total == want_total);
}

// Generated counterpart: "generated corpus: Dovecot's Maildir++ tree: folders, messages, flags, keywords, dates".
TEST_CASE("real mail: Dovecot's Maildir++ tree: INBOX and nine folders, with their messages and keywords",
          "[maildir][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    std::string root = dev + "/maildir/dovecot-maildirpp";
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

// Generated counterpart: "generated corpus: a nested file-system layout tree, with mail outside cur/ and new/".
TEST_CASE("real mail: notmuch's file-system layout tree, with mail outside cur/ and new/", "[maildir][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    std::string root = dev + "/maildir/notmuch-default";
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

// Generated counterpart: "generated corpus: the directory of Maildirs is one tree, ...".
TEST_CASE("real mail: the directory of four Maildirs is one tree, each Maildir a folder with its own below it",
          "[maildir][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    std::string root = dev + "/maildir";
    CHECK(is_maildir_tree(root));
    CHECK_FALSE(is_maildir_tree(dev + "/eml"));
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
