// MboxSource: the two passes, identities, received dates, Google Takeout's
// labels, and what bad input does (never a crash, every good message kept,
// each problem one line naming the file and offset).
#include <catch2/catch.hpp>


#include "formats/mbox/mbox_cursor.hpp"
#include "formats/mbox/mbox_source.hpp"
#include "formats/mbox/takeout_labels.hpp"
#include "import_test_support.hpp"
#include "test_corpus.hpp"
#include "wrap/sha256.hpp"
#include "test_files.hpp"

using namespace mailferry;
using namespace mailferry::mbox;
using namespace import_test;
using mailferry::test::gzip;
using mbox_test::TempDir;
using mbox_test::write_bytes;

namespace {

std::string msg(int i, const std::string& extra = "") {
    return "From: a" + std::to_string(i) + "@example.org\nSubject: message " + std::to_string(i) + "\n" + extra +
           "\nbody " + std::to_string(i) + "\n";
}

const std::string kFrom = "From a@example.org Sat Jan  1 00:00:00 2011\n";  // 1293840000

struct Imported {
    std::vector<SourceFolder> folders;
    std::map<std::string, std::vector<Fetched>> by_folder;  // by name
};

Imported import_all(MboxSource& s, size_t batch = 1000) {
    Imported r;
    auto folders = s.list_folders();
    REQUIRE(folders.ok());
    r.folders = *folders;
    for (const auto& f : r.folders) r.by_folder[f.name] = fetch_folder(s, f, 1, batch);
    return r;
}

}  // namespace

TEST_CASE("mbox source: keys are offset and SHA-256, received dates from the From_ line, Date: or mtime",
          "[mbox][import]") {
    TempDir d;
    std::string m1 = msg(1), m2 = msg(2, "Date: Tue, 1 Jul 2003 10:52:37 +0200\n"), m3 = msg(3);
    write_bytes(d.file("strict.mbox"), kFrom + m1);
    // A file of weak From_ lines (no dates): Date:, else the file's mtime.
    write_bytes(d.file("weak.mbox"), "From -\n" + m2 + "\n" + "From -\n" + m3);
    set_mtime(d.file("weak.mbox"), 1500000000);
    Context c;
    MboxSource strict({d.file("strict.mbox"), "Archive/a"}, c.ctx());
    Imported r = import_all(strict);
    REQUIRE(r.folders.size() == 1);
    CHECK(r.folders[0].name == "Archive/a");
    CHECK(r.folders[0].raw_name == "Archive/a");
    const auto& got = r.by_folder["Archive/a"];
    REQUIRE(got.size() == 1);
    CHECK(got[0].bytes == m1);
    CHECK(got[0].key == "0:" + wrap::sha256_hex(m1));
    CHECK(got[0].received == 1293840000);
    CHECK(got[0].received_from == "from_line");

    MboxSource weak({d.file("weak.mbox"), "Überblick"}, c.ctx());
    Imported w = import_all(weak, 1);
    REQUIRE(w.folders.size() == 1);
    CHECK(w.folders[0].raw_name == "&ANw-berblick");
    const auto& got2 = w.by_folder["Überblick"];
    REQUIRE(got2.size() == 2);
    CHECK(got2[0].bytes == m2);
    CHECK(got2[0].key == "0:" + wrap::sha256_hex(m2));
    CHECK(got2[0].received == 1057049557);
    CHECK(got2[0].received_from == "date");
    CHECK(got2[1].bytes == m3);
    CHECK(got2[1].key == std::to_string(7 + m2.size() + 1) + ":" + wrap::sha256_hex(m3));
    CHECK(got2[1].received == 1500000000);
    CHECK(got2[1].received_from == "mtime");
    CHECK(c.notes.errors().empty());
}

TEST_CASE("mbox source: a file appended to gives only the new messages", "[mbox][import]") {
    TempDir d;
    std::string file;
    for (int i = 0; i < 5; ++i) file += kFrom + msg(i) + "\n";
    write_bytes(d.file("a.mbox"), file);
    Context c;
    {
        MboxSource s({d.file("a.mbox"), "a"}, c.ctx());
        CHECK(import_all(s).by_folder["a"].size() == 5);
    }
    for (int i = 5; i < 8; ++i) file += kFrom + msg(i) + "\n";
    write_bytes(d.file("a.mbox"), file);
    MboxSource again({d.file("a.mbox"), "a"}, c.ctx());
    auto folders = again.list_folders();
    REQUIRE(folders.ok());
    auto fresh = fetch_folder(again, folders->front(), 6);  // the pipeline asks above the highest cached UID
    REQUIRE(fresh.size() == 3);
    CHECK(fresh[0].uid == 6);
    CHECK(fresh[0].bytes == msg(5));
    CHECK(fresh[2].bytes == msg(7));
}

TEST_CASE("mbox source: fetching in any order, batch after batch, from one cursor or a new pass", "[mbox][import]") {
    TempDir d;
    std::string file;
    for (int i = 0; i < 50; ++i) file += kFrom + msg(i) + "\n";
    write_bytes(d.file("a.mbox.gz"), gzip(file));
    Context c;
    MboxSource s({d.file("a.mbox.gz"), "a"}, c.ctx());
    auto folders = s.list_folders();
    REQUIRE(folders.ok());
    REQUIRE(s.open_folder(folders->front()).ok());
    std::vector<std::string> got;
    auto sink = [&](const FetchedMessage& m) {
        got.push_back(std::string(m.bytes));
        return Status{};
    };
    REQUIRE(s.fetch_messages({3, 1, 2}, sink).ok());
    REQUIRE(s.fetch_messages({10, 50}, sink).ok());
    REQUIRE(s.fetch_messages({5}, sink).ok());  // behind the cursor: a new pass
    REQUIRE(s.fetch_messages({99}, sink).ok());  // no such UID: nothing
    CHECK(got == std::vector<std::string>{msg(0), msg(1), msg(2), msg(9), msg(49), msg(4)});
    CHECK(c.notes.errors().empty());
}

TEST_CASE("the mbox cursor hands over messages one by one and can be dropped halfway", "[mbox][import]") {
    TempDir d;
    std::string file;
    for (int i = 0; i < 20; ++i) file += kFrom + msg(i) + "\n";
    write_bytes(d.file("a.mbox"), file);
    {
        MboxCursor cursor(d.file("a.mbox"), {});
        for (int i = 0; i < 3; ++i) {
            const CursorMessage* m = cursor.next();
            REQUIRE(m != nullptr);
            CHECK(m->index == static_cast<uint64_t>(i));
            CHECK(m->bytes == msg(i));
        }
    }  // destroyed with the reader waiting in its callback
    MboxCursor all(d.file("a.mbox"), {});
    int n = 0;
    while (all.next()) ++n;
    CHECK(n == 20);
    // A queue of a few bytes: each message changes hands alone, the reader waiting for the caller.
    MboxCursor tiny(d.file("a.mbox"), {}, 10);
    for (int i = 0; i < 20; ++i) {
        const CursorMessage* m = tiny.next();
        REQUIRE(m != nullptr);
        CHECK(m->bytes == msg(i));
    }
    CHECK(tiny.next() == nullptr);
    CHECK(tiny.status().ok());
    CHECK(all.status().ok());
    CHECK(all.next() == nullptr);
    MboxCursor missing(d.file("missing.mbox"), {});
    CHECK(missing.next() == nullptr);
    CHECK_FALSE(missing.status().ok());
    MboxCursor unused(d.file("a.mbox"), {});
}

TEST_CASE("X-Gmail-Labels: folder labels, state labels, quoting, encoded words, roles", "[mbox][takeout]") {
    struct Row {
        const char* value;
        std::vector<std::string> folders;
        bool opened, unread, starred;
    };
    const Row table[] = {
        {"Inbox,Important,Opened,Category Updates", {"INBOX"}, true, false, false},
        {"Archived,Category Personal,Unread,Starred", {"Archived"}, false, true, true},
        {"Sent,Opened", {"Sent"}, true, false, false},
        {"Work/Projects, Inbox ,Opened", {"Work/Projects", "INBOX"}, true, false, false},
        {"\"Kunden, alt\",Inbox", {"Kunden, alt", "INBOX"}, false, false, false},
        {"\"say \\\"hi\\\"\"", {"say \"hi\""}, false, false, false},
        {"=?UTF-8?Q?=C3=9Cbersicht?=,Opened", {"Übersicht"}, true, false, false},
        {"=?UTF-8?B?w5xiZXJzaWNodA==?=", {"Übersicht"}, false, false, false},
        {"Important,Opened", {}, true, false, false},
        {"Inbox,inbox,Inbox", {"INBOX"}, false, false, false},
        {"", {}, false, false, false},
        {",,", {}, false, false, false},
    };
    for (const auto& r : table) {
        CAPTURE(r.value);
        TakeoutLabels t = parse_takeout_labels(r.value);
        CHECK(t.folders == r.folders);
        CHECK(t.opened == r.opened);
        CHECK(t.unread == r.unread);
        CHECK(t.starred == r.starred);
    }
    CHECK(takeout_label_role("Sent") == "\\Sent");
    CHECK(takeout_label_role("Spam") == "\\Junk");
    CHECK(takeout_label_role("Trash") == "\\Trash");
    CHECK(takeout_label_role("Drafts") == "\\Drafts");
    CHECK(takeout_label_role("Archived") == "\\Archive");
    CHECK(takeout_label_role("Work") == "");
}

TEST_CASE("a Google Takeout mbox: messages go to their first label's folder, or to each (copy)", "[mbox][takeout][import]") {
    TempDir d;
    const std::string from = "From 1700000000000000001@xxx Tue Mar 01 12:00:00 +0000 2022\n";
    std::string a = "X-GM-THRID: 1\nX-Gmail-Labels: Inbox,Work/Projects,Opened\nSubject: a\n\nA\n";
    std::string b = "X-GM-THRID: 2\nX-Gmail-Labels: Sent,Starred,Unread\nSubject: b\n\nB\n";
    std::string c2 = "X-GM-THRID: 3\nX-Gmail-Labels: Important,Opened\nSubject: c\n\nC\n";
    std::string e = "X-GM-THRID: 4\nX-Gmail-Labels: Drafts\nSubject: e\n\nE\n";
    write_bytes(d.file("All mail Including Spam and Trash.mbox"), from + a + "\n" + from + b + "\n" + from + c2 + "\n" + from + e);
    std::string path = d.file("All mail Including Spam and Trash.mbox");

    Context c;
    MboxSource first({path, "All mail Including Spam and Trash"}, c.ctx());
    Imported r = import_all(first);
    std::map<std::string, std::string> roles;
    for (const auto& f : r.folders) roles[f.name] = f.role;
    CHECK(roles == std::map<std::string, std::string>{
                       {"INBOX", ""}, {"Sent", "\\Sent"}, {"All mail Including Spam and Trash", ""}, {"Drafts", "\\Drafts"}});
    REQUIRE(r.by_folder["INBOX"].size() == 1);
    CHECK(r.by_folder["INBOX"][0].bytes == a);
    CHECK(r.by_folder["INBOX"][0].flags == "\\Seen");
    CHECK(r.by_folder["INBOX"][0].received == 1646136000);
    REQUIRE(r.by_folder["Sent"].size() == 1);
    CHECK(r.by_folder["Sent"][0].flags == "\\Flagged");
    CHECK(r.by_folder["All mail Including Spam and Trash"].size() == 1);
    CHECK(r.by_folder["Drafts"][0].flags == "\\Draft");

    Context cc;
    MboxSource copies({path, "All mail", LabelMode::copy}, cc.ctx());
    Imported all = import_all(copies);
    CHECK(all.folders.size() == 5);
    REQUIRE(all.by_folder["Work/Projects"].size() == 1);
    CHECK(all.by_folder["Work/Projects"][0].bytes == a);
    REQUIRE(all.by_folder["INBOX"].size() == 1);
    CHECK(all.by_folder["INBOX"][0].key == all.by_folder["Work/Projects"][0].key);
    CHECK(all.by_folder["All mail"].size() == 1);
}

TEST_CASE("mbox source: bad input gives one line per problem, every good message, never a crash", "[mbox][import]") {
    TempDir d;
    std::string good = kFrom + msg(1) + "\n" + kFrom + msg(2) + "\n";
    struct Row {
        const char* name;
        std::string bytes;
        size_t messages;
        const char* error;    // "" = none
        const char* warning;  // "" = none
    };
    std::string big = kFrom + msg(3, "X-Pad: " + std::string(3000, 'x') + "\n") + "\n";
    std::string gz = gzip(good + kFrom + msg(3) + "\n");
    const Row table[] = {
        {"empty.mbox", "", 0, "", "no messages in this file"},
        {"truncated.mbox", good + kFrom + "Subject: cut\n\nhalf a li", 3, "does not end with a line break", ""},
        {"from-only.mbox", good + kFrom, 2, "1 message(s) skipped", "empty message skipped"},
        {"nul.mbox", good + kFrom + std::string("Subject: nul\n\na\0b\n\n", 19), 3, "", "NUL bytes"},
        {"cr-only.mbox", "From a@example.org Sat Jan  1 00:00:00 2011\rSubject: mac\r\rbody\r", 1, "", "CR only"},
        {"huge.mbox", good + big, 2, "1 message(s) skipped", "larger than the limit"},
        {"broken.mbox.gz", gz.substr(0, gz.size() / 2), 0, "", ""},
        {"not-gzip.mbox.gz", std::string("\x1f\x8b\x08\x00garbage", 12), 0, "", ""},
        {"garbage.mbox", "just some text\nno headers\n", 0, "skipped", "do not start with a header field"},
    };
    for (const auto& r : table) {
        CAPTURE(r.name);
        write_bytes(d.file(r.name), r.bytes);
        Context c;
        formats::SourceContext ctx = c.ctx();
        ctx.max_message_bytes = 2048;
        MboxSource s({d.file(r.name), "x"}, ctx);
        Imported got = import_all(s);
        size_t n = 0;
        for (const auto& [name, msgs] : got.by_folder) n += msgs.size();
        if (std::string(r.name).find(".gz") != std::string::npos) {
            // Whatever came out whole before the stream broke, and an error naming the file.
            CHECK(n == mbox_test::read_all(d.file(r.name)).messages.size());
            CHECK(c.erred(d.file(r.name)));
        } else {
            CHECK(n == r.messages);
        }
        if (*r.error) CHECK(c.erred(r.error));
        else if (std::string(r.name).find(".gz") == std::string::npos) CHECK(c.notes.errors().empty());
        if (*r.warning) CHECK(c.warned(r.warning));
        for (const auto& line : c.notes.errors()) CHECK(line.find(d.file(r.name)) != std::string::npos);
        for (const auto& line : c.notes.warnings()) CHECK(line.find(d.file(r.name)) != std::string::npos);
    }
}

namespace {

// The source gives what the reader gives, in order, all in one folder.
void check_source_matches_reader(const std::string& path) {
    auto direct = mbox_test::read_all(path);
    Context c;
    MboxSource s({path, "x"}, c.ctx());
    Imported got = import_all(s, 7);
    REQUIRE(got.by_folder["x"].size() == direct.messages.size());
    for (size_t i = 0; i < direct.messages.size(); ++i) CHECK(got.by_folder["x"][i].bytes == direct.messages[i].bytes);
    CHECK(c.notes.errors().empty());
}

}  // namespace

TEST_CASE("mbox source: the generated corpus' mboxes give what the reader gives", "[mbox][import][corpus]") {
    for (const gen::json* c : gen::containers("mbox")) {
        const std::string rel = c->at("path");
        // Takeout files split by label (next test); the broken ones are errors by design (the table above).
        const auto& traits = c->at("traits");
        if (c->at("format") == "takeout" || gen::has(traits, "truncated") || gen::has(traits, "garbage-first")) continue;
        CAPTURE(rel);
        check_source_matches_reader(gen::path(rel));
    }
}

TEST_CASE("mbox source: the generated Takeout mbox: each message in its first folder label's folder, flags from labels",
          "[mbox][takeout][import][corpus]") {
    const gen::json& box = gen::container("mbox/takeout/takeout.mbox");
    Context c;
    MboxSource s({gen::path("mbox/takeout/takeout.mbox"), "All mail"}, c.ctx());
    Imported got = import_all(s);
    std::map<std::string, std::vector<std::string>> want;  // folder -> SHA-256 of its messages, in file order
    for (const auto& rec : box.at("messages")) {
        TakeoutLabels labels = parse_takeout_labels(rec.at("gmail_labels").get<std::string>());
        want[labels.folders.empty() ? "All mail" : labels.folders.front()].push_back(rec.at("sha256"));
    }
    std::map<std::string, std::vector<std::string>> have;
    for (const auto& [folder, msgs] : got.by_folder)
        for (const auto& m : msgs) have[folder].push_back(wrap::sha256_hex(m.bytes));
    CHECK(have == want);
    CHECK(want.count("Work/Projects") == 0);  // the first folder label wins: INBOX
    CHECK(want.count("INBOX") == 1);
    CHECK(want.count("Kunden, alt") == 1);
    CHECK(want.count("Übersicht") == 1);
    for (const auto& f : got.folders)
        if (f.name == "Sent" || f.name == "Drafts" || f.name == "Spam" || f.name == "Trash") CHECK_FALSE(f.role.empty());
    CHECK(c.notes.errors().empty());
}

// Generated counterpart: "mbox source: the generated corpus' mboxes give what the reader gives".
TEST_CASE("real mail: mbox source: the real corpus mboxes give what the reader gives", "[mbox][import][real-mail]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    for (const char* rel : {"perl-mail-box/mbox.win.crlf.mbox", "mimekit/unmunged.mbox", "ponymail-asf/maven-dev-2017-11-mboxvm.mbox"}) {
        CAPTURE(rel);
        check_source_matches_reader(dev + "/mbox/" + rel);
    }
}
