#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <set>

#include "cache/cache.hpp"
#include "cache/recovery.hpp"
#include "formats/maildir/maildir_naming.hpp"
#include "formats/maildir/maildir_writer.hpp"
#include "wrap/posix_file.hpp"
#include "wrap/sha256.hpp"

using namespace mailferry;
namespace fs = boost::filesystem;

namespace {

struct TempDir {
    fs::path path = fs::temp_directory_path() / fs::unique_path("mf-cache-test-%%%%%%%%");
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
    std::string str(const std::string& sub = "") const { return (path / sub).string(); }
};

cache::FolderRecord make_folder(cache::Cache& c, const std::string& name) {
    auto src = c.ensure_source(mailferry::SourceKind::imap, "127.0.0.1:993", "alice");
    REQUIRE(src.ok());
    SourceFolder f{name, name, '/', "", true};
    auto rec = c.ensure_folder(*src, f, maildir::folder_directory(maildir::split_levels(name, '/')));
    REQUIRE(rec.ok());
    return *rec;
}

// Stages and commits one message, as the fetch pipeline does, and indexes it.
std::string store(cache::Cache& c, const cache::FolderRecord& folder, uint32_t uid, const std::string& bytes,
                  bool index = true) {
    maildir::MaildirWriter w(c.mail_root());
    REQUIRE(w.ensure_folder(folder.maildir).ok());
    Flags flags;
    flags.seen = true;
    REQUIRE(w.stage(folder.maildir, maildir::imap_base_name(1000, 7, uid, bytes.size()), bytes, 1000, flags).ok());
    auto paths = w.commit();
    REQUIRE(paths.ok());
    std::string rel = "mail/" + (*paths)[0];
    if (index) {
        cache::MessageRecord m;
        m.folder_id = folder.id;
        m.uidvalidity = 7;
        m.uid = uid;
        m.sha256 = wrap::sha256_hex(bytes);
        m.size = bytes.size();
        m.received = 1000;
        m.flags = flags;
        m.path = rel;
        REQUIRE(c.insert_messages({m}).ok());
    }
    return rel;
}

std::vector<cache::CachedMessage> messages_of(cache::Cache& c, int64_t folder_id) {
    std::vector<cache::CachedMessage> out;
    REQUIRE(c.for_each_message(folder_id, [&](const cache::CachedMessage& m) { out.push_back(m); }).ok());
    return out;
}

}  // namespace

TEST_CASE("a new cache has schema v1, private modes, and refuses a second run", "[cache]") {
    TempDir t;
    auto c = cache::Cache::open(t.str("c"), cache::OpenMode::create_if_missing);
    REQUIRE(c.ok());
    CHECK((*c)->info("format_version").value() == "1");
    struct stat st;
    REQUIRE(::stat(t.str("c").c_str(), &st) == 0);
    CHECK((st.st_mode & 077) == 0);
    REQUIRE(::stat(t.str("c/index.sqlite").c_str(), &st) == 0);
    CHECK((st.st_mode & 077) == 0);

    auto second = cache::Cache::open(t.str("c"), cache::OpenMode::existing);
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().message.find("in use") != std::string::npos);
}

TEST_CASE("opening a directory that is not a cache says so", "[cache]") {
    TempDir t;
    auto c = cache::Cache::open(t.str("nothing"), cache::OpenMode::existing);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().kind == ErrorKind::not_found);
}

TEST_CASE("a cache from a newer mailferry is refused, not damaged", "[cache]") {
    TempDir t;
    { REQUIRE(cache::Cache::open(t.str("c"), cache::OpenMode::create_if_missing).ok()); }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(t.str("c/index.sqlite").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto c = cache::Cache::open(t.str("c"), cache::OpenMode::existing);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().message.find("newer") != std::string::npos);
}

TEST_CASE("a folder name collision between two sources gets its own directory", "[cache]") {
    TempDir t;
    auto c = cache::Cache::open(t.str("c"), cache::OpenMode::create_if_missing);
    REQUIRE(c.ok());
    auto a = (*c)->ensure_source(mailferry::SourceKind::imap, "a:993", "u");
    auto b = (*c)->ensure_source(mailferry::SourceKind::imap, "b:993", "u");
    SourceFolder inbox{"INBOX", "INBOX", '/', "", true};
    auto fa = (*c)->ensure_folder(*a, inbox, "");
    auto fb = (*c)->ensure_folder(*b, inbox, "");
    REQUIRE(fa.ok());
    REQUIRE(fb.ok());
    CHECK(fa->maildir.empty());
    CHECK_FALSE(fb->maildir.empty());
    CHECK(fb->maildir.find('/') == std::string::npos);
}

TEST_CASE("recovery removes tmp/ leftovers and stale links, and adopts unindexed files", "[cache][recovery]") {
    TempDir t;
    std::string dir = t.str("c");
    {
        auto c = cache::Cache::open(dir, cache::OpenMode::create_if_missing);
        REQUIRE(c.ok());
        auto folder = make_folder(**c, "Lists/dev");
        std::string indexed = store(**c, folder, 1, "Subject: one\r\n\r\nbody\r\n");
        // A crash after the rename, before the index commit:
        std::string orphan = store(**c, folder, 2, "Subject: two\r\n\r\nbody\r\n", false);
        // A crash in the middle of writing a file:
        REQUIRE(wrap::write_file(dir + "/mail/.Lists.dev/tmp/partial", "Subj").ok());
        // A crash between a flag change's link and the index update:
        REQUIRE(wrap::link_path(dir + "/" + indexed, dir + "/mail/.Lists.dev/cur/" +
                                maildir::parse_file_name(indexed.substr(indexed.rfind('/') + 1)).base + ":2,FS").ok());
        // Somebody else's file (Dovecot delivering into the cache):
        REQUIRE(wrap::write_file(dir + "/mail/.Lists.dev/cur/123.M1P2.host:2,", "x").ok());

        auto rep = cache::recover(**c);
        REQUIRE(rep.ok());
        CHECK(rep->tmp_removed == 1);
        CHECK(rep->adopted == 1);
        CHECK(rep->stale_links_removed == 1);
        CHECK(rep->foreign_files == 1);
        CHECK_FALSE(wrap::exists(dir + "/mail/.Lists.dev/tmp/partial"));
        CHECK(wrap::exists(dir + "/" + orphan));

        std::vector<cache::CachedMessage> rows;
        REQUIRE((*c)->for_each_message(folder.id, [&](const cache::CachedMessage& m) { rows.push_back(m); }).ok());
        REQUIRE(rows.size() == 2);
        CHECK(rows[1].uid == 2);
        CHECK(rows[1].uidvalidity == 7);
        CHECK(rows[1].flags == "\\Seen");
        CHECK(rows[1].sha256 == wrap::sha256_hex("Subject: two\r\n\r\nbody\r\n"));
        CHECK(rows[1].path == orphan);

        auto again = cache::recover(**c);
        REQUIRE(again.ok());
        CHECK(again->adopted == 0);
        CHECK(again->tmp_removed == 0);
    }
    // The cache is portable: a copy elsewhere opens with the same content.
    fs::rename(t.path / "c", t.path / "moved");
    auto moved = cache::Cache::open(t.str("moved"), cache::OpenMode::existing);
    REQUIRE(moved.ok());
    CHECK((*moved)->message_count().value() == 2);
}

TEST_CASE("sources without UIDs get stable ones: the same key always, new keys above every UID given", "[cache]") {
    TempDir t;
    auto c = cache::Cache::open(t.str("c"), cache::OpenMode::create_if_missing);
    REQUIRE(c.ok());
    auto src = (*c)->ensure_source(mailferry::SourceKind::pop3, "127.0.0.1:995", "alice");
    REQUIRE(src.ok());
    auto first = (*c)->assign_source_uids(*src, "INBOX", {"uidl-a", "uidl-b"});
    REQUIRE(first.ok());
    CHECK(*first == std::vector<uint32_t>{1, 2});
    // The server dropped a, kept b, got c: b keeps its UID, c gets a new one (never a's).
    auto second = (*c)->assign_source_uids(*src, "INBOX", {"uidl-b", "uidl-c"});
    REQUIRE(second.ok());
    CHECK(*second == std::vector<uint32_t>{2, 3});
    CHECK((*c)->assign_source_uids(*src, "Other", {"uidl-a"}).value() == std::vector<uint32_t>{1});
    c->reset();
    // Durable: a reopened cache gives the same answers.
    auto again = cache::Cache::open(t.str("c"), cache::OpenMode::existing);
    REQUIRE(again.ok());
    CHECK((*again)->assign_source_uids(*src, "INBOX", {"uidl-c", "uidl-a"}).value() == std::vector<uint32_t>{3, 1});
}

TEST_CASE("recovery gives a message of a source without UIDs its source key back", "[cache][recovery]") {
    TempDir t;
    std::string dir = t.str("c");
    auto c = cache::Cache::open(dir, cache::OpenMode::create_if_missing);
    REQUIRE(c.ok());
    auto src = (*c)->ensure_source(mailferry::SourceKind::mbox, "/home/alice/old.mbox", "");
    REQUIRE(src.ok());
    SourceFolder f{"old", "old", '/', "", true};
    auto folder = (*c)->ensure_folder(*src, f, ".old");
    REQUIRE(folder.ok());
    REQUIRE((*c)->assign_source_uids(*src, "old", {"0:aaa", "120:bbb"}).ok());
    // A crash after the rename, before the index commit: the file of UID 2.
    store(**c, *folder, 2, "Subject: two\n\nbody\n", false);
    auto rep = cache::recover(**c);
    REQUIRE(rep.ok());
    CHECK(rep->adopted == 1);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((dir + "/index.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT uid, source_key FROM messages", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(sqlite3_column_int64(st, 0) == 2);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) == "120:bbb");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST_CASE("export reads a folder's messages in received order, gone ones included", "[cache][export]") {
    TempDir dir;
    auto c = cache::Cache::open(dir.str("cache"), cache::OpenMode::create_if_missing);
    REQUIRE(c.ok());
    auto folder = make_folder(**c, "Lists/dev");
    std::vector<cache::MessageRecord> rows;
    // (uid, received): UID order is not received order.
    for (auto [uid, received] : {std::pair{1u, 3000}, {2u, 1000}, {3u, 2000}, {4u, 1000}}) {
        cache::MessageRecord m;
        m.folder_id = folder.id;
        m.uidvalidity = 7;
        m.uid = uid;
        m.sha256 = "x" + std::to_string(uid);
        m.size = 10 * uid;
        m.received = received;
        m.flags = Flags::from_imap(uid == 3 ? "\\Seen \\Flagged $Label" : "");
        m.headers.subject = "s" + std::to_string(uid);
        m.path = "mail/.Lists.dev/cur/" + std::to_string(uid);
        rows.push_back(m);
    }
    REQUIRE((*c)->insert_messages(rows).ok());
    REQUIRE((*c)->set_gone({1}, true).ok());

    std::vector<uint32_t> order;
    std::vector<cache::StoredMessage> seen;
    REQUIRE((*c)->for_each_stored(folder.id, [&](const cache::StoredMessage& m) -> Status {
        order.push_back(m.uid);
        seen.push_back(m);
        return {};
    }).ok());
    CHECK(order == std::vector<uint32_t>{2, 4, 3, 1});
    CHECK(seen[2].flags.seen);
    CHECK(seen[2].flags.flagged);
    CHECK(seen[2].flags.keywords == std::vector<std::string>{"$Label"});
    CHECK(seen[2].subject == "s3");
    CHECK(seen[2].size == 30);
    CHECK(seen[2].received == 2000);
    CHECK(seen[2].path == "mail/.Lists.dev/cur/3");
    CHECK(seen[3].gone);  // messages.id 1 is uid 1

    SECTION("the callback's error stops the walk and comes back") {
        int calls = 0;
        auto s = (*c)->for_each_stored(folder.id, [&](const cache::StoredMessage&) -> Status {
            ++calls;
            return make_error(ErrorKind::io, Radius::fatal, "disk full");
        });
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().message == "disk full");
        CHECK(calls == 1);
    }
}

TEST_CASE("a fetched batch after a UIDVALIDITY change is stored whole or not at all", "[cache]") {
    TempDir t;
    auto c = cache::Cache::open(t.str("c"), cache::OpenMode::create_if_missing);
    REQUIRE(c.ok());
    auto folder = make_folder(**c, "INBOX");
    store(**c, folder, 1, "Subject: one\r\n\r\nold generation\r\n");
    store(**c, folder, 2, "Subject: two\r\n\r\nold generation\r\n");
    auto old_rows = messages_of(**c, folder.id);
    REQUIRE(old_rows.size() == 2);

    const std::string fresh = "Subject: three\r\n\r\nnew\r\n";
    cache::MessageRecord row;
    row.folder_id = folder.id;
    row.uidvalidity = 8;
    row.uid = 5;
    row.sha256 = wrap::sha256_hex(fresh);
    row.size = fresh.size();
    row.received = 1000;
    row.path = store(**c, folder, 3, fresh, /*index=*/false);

    // The second re-key collides with the new row's identity (8, 5): the
    // whole batch is refused, the new row included.
    cache::FetchedBatch clash{folder.id, 8, {row}, {{old_rows[0].id, 4, ""}, {old_rows[1].id, 5, ""}}, {}};
    REQUIRE_FALSE((*c)->store_fetched_batch(clash).ok());
    auto after_clash = messages_of(**c, folder.id);
    REQUIRE(after_clash.size() == 2);
    for (const auto& m : after_clash) CHECK(m.uidvalidity == 7);

    cache::FetchedBatch good{folder.id, 8, {row}, {{old_rows[0].id, 3, "\\Seen"}, {old_rows[1].id, 4, ""}}, {}};
    REQUIRE((*c)->store_fetched_batch(good).ok());
    auto after = messages_of(**c, folder.id);
    REQUIRE(after.size() == 3);
    std::set<uint32_t> uids;
    for (const auto& m : after) {
        CHECK(m.uidvalidity == 8);
        uids.insert(m.uid);
    }
    CHECK(uids == std::set<uint32_t>{3, 4, 5});
}

#include "cache/message_file.hpp"

TEST_CASE("a read-only cache answers from one snapshot while the writer goes on, and writes nothing",
          "[cache][read-only]") {
    TempDir t;
    auto writer = cache::Cache::open(t.str("c"), cache::OpenMode::create_if_missing);
    REQUIRE(writer.ok());
    auto folder = make_folder(**writer, "INBOX");
    store(**writer, folder, 1, "Subject: one\r\n\r\nfirst\r\n");

    // No lock: it opens while the writer holds the cache.
    auto reader = cache::Cache::open(t.str("c"), cache::OpenMode::read_only);
    REQUIRE(reader.ok());
    CHECK((*reader)->message_count().value() == 1);
    store(**writer, folder, 2, "Subject: two\r\n\r\nsecond\r\n");
    CHECK((*writer)->message_count().value() == 2);
    // Still the state it opened on, for every query.
    CHECK((*reader)->message_count().value() == 1);
    CHECK(messages_of(**reader, folder.id).size() == 1);
    auto again = cache::Cache::open(t.str("c"), cache::OpenMode::read_only);
    REQUIRE(again.ok());
    CHECK((*again)->message_count().value() == 2);

    auto write = (*reader)->ensure_source(mailferry::SourceKind::imap, "elsewhere:993", "bob");
    REQUIRE_FALSE(write.ok());
    CHECK(write.error().message.find("readonly") != std::string::npos);
}

TEST_CASE("a reader finds a message file that the writer renamed for new flags after its snapshot",
          "[cache][read-only]") {
    TempDir t;
    auto writer = cache::Cache::open(t.str("c"), cache::OpenMode::create_if_missing);
    REQUIRE(writer.ok());
    auto folder = make_folder(**writer, "INBOX");
    const std::string bytes = "Subject: flagged later\r\n\r\nbody\r\n";
    const std::string rel = store(**writer, folder, 1, bytes);
    auto reader = cache::Cache::open(t.str("c"), cache::OpenMode::read_only);
    REQUIRE(reader.ok());
    auto ref = (*reader)->message_file(messages_of(**reader, folder.id).at(0).id);
    REQUIRE(ref.ok());
    CHECK(ref->path == rel);

    // What a fetch does when the server's flags change: link the new name, index it, remove the old.
    REQUIRE(rel.size() > 2);
    const std::string renamed = rel + "F";  // ":2,S" -> ":2,SF"
    REQUIRE(::link((*writer)->absolute(rel).c_str(), (*writer)->absolute(renamed).c_str()) == 0);
    REQUIRE(wrap::remove_file((*writer)->absolute(rel)).ok());

    CHECK(cache::locate_message_file(**reader, ref->path).value() == renamed);
    auto read = cache::read_message_file(**reader, ref->path, false);
    REQUIRE(read.ok());
    CHECK(*read == bytes);

    // Gone for good: an error naming the file, not some other message.
    REQUIRE(wrap::remove_file((*writer)->absolute(renamed)).ok());
    auto lost = cache::read_message_file(**reader, ref->path, false);
    REQUIRE_FALSE(lost.ok());
    CHECK(lost.error().kind == ErrorKind::not_found);
    CHECK(lost.error().message.find(rel) != std::string::npos);
}

TEST_CASE("the read contract: a CacheReader lists, reads and searches what a writer committed before it opened",
          "[cache][read-only]") {
    TempDir t;
    CHECK(cache::open_cache_reader(t.str("nothing")).error().kind == ErrorKind::not_found);

    auto writer = cache::Cache::open(t.str("c"), cache::OpenMode::create_if_missing);
    REQUIRE(writer.ok());
    auto inbox = make_folder(**writer, "INBOX");
    const std::string first = "Subject: first\r\n\r\none\r\n", second = "Subject: second\r\n\r\ntwo\r\n";
    store(**writer, inbox, 1, first);
    store(**writer, inbox, 2, second);
    auto opened = cache::open_cache_reader(t.str("c"));
    REQUIRE(opened.ok());
    cache::CacheReader& reader = **opened;
    store(**writer, inbox, 3, "Subject: third\r\n\r\nthree\r\n");  // after the snapshot: not seen

    CHECK(reader.dir() == t.str("c"));
    auto sources = reader.sources();
    REQUIRE(sources.ok());
    REQUIRE(sources->size() == 1);
    CHECK(sources->at(0).account == "alice");
    auto folders = reader.folder_summaries();
    REQUIRE(folders.ok());
    REQUIRE(folders->size() == 1);
    CHECK(folders->at(0).folder.info.name == "INBOX");
    CHECK(folders->at(0).messages == 2);
    CHECK(folders->at(0).bytes == static_cast<int64_t>(first.size() + second.size()));

    std::vector<std::string> bytes;
    std::vector<int64_t> ids;
    REQUIRE(reader.for_each_stored(inbox.id, [&](const cache::StoredMessage& m) -> Status {
        auto b = reader.read_message(m);
        if (!b) return b.error();
        bytes.push_back(*b);
        ids.push_back(m.id);
        return {};
    }).ok());
    CHECK(bytes == std::vector<std::string>{first, second});
    CHECK(reader.read_message(ids.at(1)).value() == second);
    CHECK(reader.read_message(999).error().kind == ErrorKind::not_found);
    CHECK(reader.message_count().value() == 2);

    // Nothing was indexed for words here: the reader says how much a word
    // search cannot find, and a search without words still lists the snapshot.
    CHECK(reader.messages_not_indexed().value() == 2);
    auto hits = reader.search(cache::SearchQuery{});
    REQUIRE(hits.ok());
    REQUIRE(hits->size() == 2);
    CHECK(hits->at(0).folder == "INBOX");
    std::set<std::string> subjects{hits->at(0).subject, hits->at(1).subject};
    CHECK(subjects == std::set<std::string>{"first", "second"});
}
