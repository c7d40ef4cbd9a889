#include "cache/cache.hpp"
#include "core/failpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <optional>

#include "cache/schema.hpp"
#include "core/clock.hpp"

#ifndef MAILFERRY_VERSION
#define MAILFERRY_VERSION "dev"
#endif

namespace mailferry::cache {
namespace {

using Lock = std::lock_guard<std::mutex>;

constexpr const char* kFolderColumns =
    "id, source_id, name, raw_name, delimiter, role, selectable, uidvalidity, highest_uid, "
    "maildir, on_source, last_fetch";

FolderRecord read_folder(const wrap::Statement& st) {
    FolderRecord f;
    f.id = st.int64(0);
    f.source_id = st.int64(1);
    f.info.name = st.text(2);
    f.info.raw_name = st.text(3);
    std::string d = st.text(4);
    f.info.delimiter = d.empty() ? '\0' : d[0];
    f.info.role = st.text(5);
    f.info.selectable = st.int64(6) != 0;
    f.uidvalidity = static_cast<uint32_t>(st.int64(7));
    f.highest_uid = static_cast<uint32_t>(st.int64(8));
    f.maildir = st.text(9);
    f.on_source = st.int64(10) != 0;
    if (!st.is_null(11)) f.last_fetch = st.int64(11);
    return f;
}

Result<wrap::UniqueFd> lock_cache(const std::string& dir) {
    auto fd = wrap::lock_exclusive(dir + "/lock", /*wait=*/false);
    if (!fd && fd.error().kind == ErrorKind::temporary)
        return make_error(ErrorKind::usage, Radius::fatal, "the cache " + dir + " is in use by another mailferry run");
    return fd;
}

}  // namespace

Result<std::unique_ptr<Cache>> Cache::open(const std::string& dir, OpenMode mode) {
    std::string index = dir + "/index.sqlite";
    bool fresh = !wrap::exists(index);
    if (fresh && mode != OpenMode::create_if_missing) {
        return make_error(ErrorKind::not_found, Radius::fatal,
                          dir + " is not a mailferry cache (no index.sqlite)");
    }
    if (mode == OpenMode::read_only) return open_read_only(dir, index);
    if (fresh) {
        // The cache holds private mail: owner only (docs/architecture.md §8).
        MF_TRY(wrap::make_directories(dir + "/mail", 0700));
        ::chmod(dir.c_str(), 0700);
    }
    auto lock = lock_cache(dir);
    if (!lock) return lock.error();
    auto db = wrap::Database::open(index, fresh ? wrap::DatabaseAccess::create : wrap::DatabaseAccess::read_write);
    if (!db) return db.error();
    ::chmod(index.c_str(), 0600);
    MF_TRY(db->exec("PRAGMA journal_mode = WAL"));
    // FULL: a commit is durable when it returns; the row only follows a durable file.
    MF_TRY(db->exec("PRAGMA synchronous = FULL"));
    MF_TRY(db->exec("PRAGMA foreign_keys = ON"));
    MF_TRY(migrate(*db));
    std::unique_ptr<Cache> cache(new Cache(dir, std::move(*db), std::move(*lock)));
    MF_TRY(cache->init_info());
    return cache;
}

Result<std::unique_ptr<Cache>> Cache::open_read_only(const std::string& dir, const std::string& index) {
    auto db = wrap::Database::open(index, wrap::DatabaseAccess::read_only);
    if (!db) return db.error();
    // A second guard: SQLite refuses every write on this connection.
    MF_TRY(db->exec("PRAGMA query_only = 1"));
    // One read transaction for the Cache's life: every query then answers from
    // the same state (the writer's last commit at this point), where single
    // statements would each see a later one while a fetch goes on. WAL lets
    // the writer go on meanwhile; it cannot shrink the log past this snapshot,
    // so read-only Caches are for commands that end, not for servers.
    MF_TRY(db->exec("BEGIN"));
    MF_TRY(db->exec("SELECT count(*) FROM sqlite_master"));  // the first read fixes the snapshot
    MF_TRY(check_schema_readable(*db, dir));
    return std::unique_ptr<Cache>(new Cache(dir, std::move(*db), wrap::UniqueFd()));
}

Status Cache::init_info() {
    Lock l(mutex_);
    auto st = db_.prepare("INSERT OR IGNORE INTO cache_info(key, value) VALUES (?, ?)");
    if (!st) return st.error();
    const std::pair<const char*, std::string> rows[] = {
        {"format_version", "1"},
        {"created_at", std::to_string(now_epoch())},
        {"created_by", "mailferry " MAILFERRY_VERSION},
        {"layout", "maildir++"},
    };
    for (const auto& [k, v] : rows) MF_TRY(st->bind_all(k, v).run());
    return {};
}

Result<std::string> Cache::info(const std::string& key) {
    Lock l(mutex_);
    auto st = db_.query("SELECT value FROM cache_info WHERE key = ?", key);
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    return *row ? st->text(0) : std::string();
}

namespace {

// "host" of "host:port" or "[v6]:port", lower-cased: the mailbox, whatever the route.
std::string host_of(const std::string& server) {
    std::string host = server;
    if (!host.empty() && host.front() == '[') host = host.substr(0, host.find(']') + 1);
    else if (size_t colon = host.rfind(':'); colon != std::string::npos) host = host.substr(0, colon);
    for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return host;
}

}  // namespace

Result<int64_t> Cache::ensure_source(SourceKind kind, const std::string& server,
                                     const std::string& account) {
    Lock l(mutex_);
    // pop3s:// and pop3:// (imaps:// and imap://, or a tunnel's port) to one
    // server reach one mailbox: one source, so that its messages are not
    // fetched twice. Files (mbox, Maildir) are their own server.
    const std::string kind_name = source_kind_name(kind);
    auto sel = db_.query("SELECT id, server FROM sources WHERE kind = ? AND account = ? ORDER BY id", kind_name, account);
    if (!sel) return sel.error();
    std::optional<int64_t> found;
    const bool network = is_network_source(kind);
    MF_TRY(sel->each([&] {
        const std::string known = sel->text(1);
        if (!found && (known == server || (network && host_of(known) == host_of(server)))) found = sel->int64(0);
    }));
    if (found) return *found;
    MF_TRY(db_.execute("INSERT INTO sources(kind, server, account, created_at) VALUES (?, ?, ?, ?)",
        kind_name, server, account, now_epoch()));
    return db_.last_insert_id();
}

Status Cache::touch_source(int64_t source_id, int64_t when) {
    Lock l(mutex_);
    return db_.execute("UPDATE sources SET last_fetch = ? WHERE id = ?", when, source_id);
}

Result<std::vector<SourceRecord>> Cache::sources() {
    Lock l(mutex_);
    std::vector<SourceRecord> out;
    auto st = db_.prepare("SELECT id, kind, server, account, last_fetch FROM sources ORDER BY id");
    if (!st) return st.error();
    std::optional<Error> unknown;
    MF_TRY(st->each([&] {
        auto kind = parse_source_kind(st->text(1));
        if (!kind && !unknown)
            unknown = make_error(ErrorKind::invalid_data, Radius::fatal,
                                 "source " + std::to_string(st->int64(0)) + " has a kind this mailferry does not know: " +
                                     st->text(1));
        SourceRecord s{st->int64(0), kind.value_or(SourceKind::imap), st->text(2), st->text(3), std::nullopt};
        if (!st->is_null(4)) s.last_fetch = st->int64(4);
        out.push_back(std::move(s));
    }));
    if (unknown) return *unknown;
    return out;
}

Result<FolderRecord> Cache::ensure_folder(int64_t source_id, const SourceFolder& info,
                                          const std::string& wanted_maildir) {
    Lock l(mutex_);
    auto tx = wrap::Transaction::begin(db_);
    if (!tx) return tx.error();
    auto sel = db_.query(std::string("SELECT ") + kFolderColumns +
                           " FROM folders WHERE source_id = ? AND raw_name = ?", source_id, info.raw_name);
    if (!sel) return sel.error();
    auto row = sel->step();
    if (!row) return row.error();
    std::string delim = info.delimiter ? std::string(1, info.delimiter) : std::string();
    if (*row) {
        FolderRecord f = read_folder(*sel);
        sel->reset();
        MF_TRY(db_.execute(
            "UPDATE folders SET name = ?, delimiter = ?, role = ?, selectable = ?, on_source = 1 "
            "WHERE id = ?", info.name, delim, info.role, info.selectable, f.id));
        MF_TRY(tx->commit());
        f.info = info;
        f.on_source = true;
        return f;
    }
    sel->reset();
    // Two sources may both have an INBOX: the later one gets a directory of its own.
    std::string maildir = wanted_maildir;
    auto taken = db_.prepare("SELECT 1 FROM folders WHERE maildir = ?");
    if (!taken) return taken.error();
    for (int n = 2;; ++n) {
        taken->bind(1, maildir);
        auto hit = taken->step();
        if (!hit) return hit.error();
        taken->reset();
        if (!*hit) break;
        maildir = (wanted_maildir.empty() ? ".INBOX" : wanted_maildir) + " (source " +
                  std::to_string(source_id) + (n > 2 ? "." + std::to_string(n) : "") + ")";
    }
    MF_TRY(db_.execute(
        "INSERT INTO folders(source_id, name, raw_name, delimiter, role, selectable, maildir) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        source_id, info.name, info.raw_name, delim, info.role, info.selectable, maildir));
    FolderRecord f;
    f.id = db_.last_insert_id();
    f.source_id = source_id;
    f.info = info;
    f.maildir = maildir;
    MF_TRY(tx->commit());
    return f;
}

Status Cache::mark_folders_absent(int64_t source_id, const std::vector<int64_t>& present) {
    Lock l(mutex_);
    auto tx = wrap::Transaction::begin(db_);
    if (!tx) return tx.error();
    MF_TRY(db_.exec("UPDATE folders SET on_source = 0 WHERE source_id = " + std::to_string(source_id)));
    auto st = db_.prepare("UPDATE folders SET on_source = 1 WHERE id = ?");
    if (!st) return st.error();
    for (int64_t id : present) MF_TRY(st->bind(1, id).run());
    return tx->commit();
}

Result<std::vector<FolderRecord>> Cache::folders(std::optional<int64_t> source_id) {
    Lock l(mutex_);
    std::vector<FolderRecord> out;
    auto st = db_.query(std::string("SELECT ") + kFolderColumns +
                          " FROM folders WHERE ?1 IS NULL OR source_id = ?1 ORDER BY source_id, name", source_id);
    if (!st) return st.error();
    MF_TRY(st->each([&] {
        out.push_back(read_folder(*st));
    }));
    return out;
}

Result<std::vector<FolderSummary>> Cache::folder_summaries() {
    auto all = folders();
    if (!all) return all.error();
    Lock l(mutex_);
    std::vector<FolderSummary> out;
    auto st = db_.prepare(
        "SELECT count(*), coalesce(sum(size), 0), coalesce(sum(gone), 0) FROM messages WHERE folder_id = ?");
    if (!st) return st.error();
    for (auto& f : *all) {
        st->bind(1, f.id);
        auto row = st->step();
        if (!row) return row.error();
        FolderSummary s{f, st->int64(0), st->int64(1), st->int64(2)};
        st->reset();
        out.push_back(std::move(s));
    }
    return out;
}

Status Cache::set_folder_state(int64_t folder_id, uint32_t uidvalidity, uint32_t highest_uid,
                               int64_t when) {
    Lock l(mutex_);
    return db_.execute(
        "UPDATE folders SET flags_modseq = CASE WHEN uidvalidity = ?1 THEN flags_modseq ELSE 0 END, "
        "uidvalidity = ?1, highest_uid = ?2, last_fetch = ?3 WHERE id = ?4",
        uidvalidity, highest_uid, when, folder_id);
}

Result<uint64_t> Cache::flags_modseq(int64_t folder_id) {
    Lock l(mutex_);
    auto st = db_.query("SELECT flags_modseq FROM folders WHERE id = ?", folder_id);
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    return *row ? static_cast<uint64_t>(st->int64(0)) : 0;
}

Status Cache::set_flags_modseq(int64_t folder_id, uint64_t modseq) {
    Lock l(mutex_);
    // SQLite's integers are signed: a modseq above 2^63 (RFC 7162 allows 63 bits) is kept as unknown.
    const auto stored = modseq > static_cast<uint64_t>(INT64_MAX) ? int64_t{0} : static_cast<int64_t>(modseq);
    return db_.execute("UPDATE folders SET flags_modseq = ? WHERE id = ?", stored, folder_id);
}

Result<uint64_t> Cache::live_message_count(int64_t folder_id, uint32_t uidvalidity) {
    Lock l(mutex_);
    auto st = db_.query("SELECT count(*) FROM messages WHERE folder_id = ? AND uidvalidity = ? AND gone = 0",
                        folder_id, uidvalidity);
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    return static_cast<uint64_t>(st->int64(0));
}

Result<uint32_t> Cache::highest_cached_uid(int64_t folder_id, uint32_t uidvalidity) {
    Lock l(mutex_);
    auto st = db_.query(
        "SELECT coalesce(max(uid), 0) FROM messages WHERE folder_id = ? AND uidvalidity = ?", folder_id, uidvalidity);
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    return static_cast<uint32_t>(st->int64(0));
}

Result<std::set<std::string>> Cache::cached_source_keys(int64_t source_id) {
    Lock l(mutex_);
    auto st = db_.query(
        "SELECT m.source_key FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE f.source_id = ? AND m.source_key IS NOT NULL", source_id);
    if (!st) return st.error();
    std::set<std::string> keys;
    MF_TRY(st->each([&] { keys.insert(st->text(0)); }));
    return keys;
}

Result<MessageFileRef> Cache::message_file(int64_t id) {
    Lock l(mutex_);
    auto st = db_.query("SELECT path, compressed FROM messages WHERE id = ?", id);
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return make_error(ErrorKind::not_found, Radius::fatal, "no message " + std::to_string(id) + " in this cache");
    return MessageFileRef{st->text(0), st->int64(1) != 0};
}

Result<std::string> Cache::source_key_of(int64_t source_id, const std::string& folder, uint32_t uid) {
    Lock l(mutex_);
    auto st = db_.query("SELECT key FROM source_uids WHERE source_id = ? AND folder = ? AND uid = ?",
        source_id, folder, uid);
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    return *row ? st->text(0) : std::string();
}

Result<std::vector<uint32_t>> Cache::assign_source_uids(int64_t source_id, const std::string& folder,
                                                       const std::vector<std::string>& keys) {
    Lock l(mutex_);
    auto tx = wrap::Transaction::begin(db_);
    if (!tx) return tx.error();
    auto find = db_.prepare("SELECT uid FROM source_uids WHERE source_id = ? AND folder = ? AND key = ?");
    auto top = db_.prepare("SELECT coalesce(max(uid), 0) FROM source_uids WHERE source_id = ? AND folder = ?");
    auto add = db_.prepare("INSERT INTO source_uids(source_id, folder, key, uid) VALUES (?, ?, ?, ?)");
    if (!find) return find.error();
    if (!top) return top.error();
    if (!add) return add.error();
    top->bind_all(source_id, folder);
    if (auto row = top->step(); !row) return row.error();
    int64_t next = top->int64(0) + 1;
    std::vector<uint32_t> uids;
    uids.reserve(keys.size());
    for (const auto& key : keys) {
        find->bind_all(source_id, folder, key);
        auto row = find->step();
        if (!row) return row.error();
        if (*row) {
            uids.push_back(static_cast<uint32_t>(find->int64(0)));
        } else {
            if (next > int64_t{UINT32_MAX})
                return make_error(ErrorKind::internal, Radius::folder, "no UIDs left in folder " + folder);
            MF_TRY(add->bind_all(source_id, folder, key, next).run());
            uids.push_back(static_cast<uint32_t>(next++));
        }
        find->reset();
    }
    MF_TRY(tx->commit());
    failpoint("uids.assigned");  // the keys have their UIDs; no message of them is stored yet
    return uids;
}

Result<int64_t> Cache::count_other_generation(int64_t folder_id, uint32_t uidvalidity) {
    Lock l(mutex_);
    auto st = db_.query(
        "SELECT count(*) FROM messages WHERE folder_id = ? AND uidvalidity != ? AND gone = 0 "
        "AND source_key IS NULL", folder_id, uidvalidity);
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    return st->int64(0);
}

Status Cache::for_each_message(int64_t folder_id,
                               const std::function<void(const CachedMessage&)>& fn) {
    Lock l(mutex_);
    auto st = db_.query(
        "SELECT id, uidvalidity, uid, flags, path, sha256, gone FROM messages "
        "WHERE folder_id = ? ORDER BY uidvalidity, uid", folder_id);
    if (!st) return st.error();
    MF_TRY(st->each([&] {
        CachedMessage m{st->int64(0), static_cast<uint32_t>(st->int64(1)),
                        static_cast<uint32_t>(st->int64(2)), st->text(3), st->text(4), st->text(5),
                        st->int64(6) != 0};
        fn(m);
    }));
    return {};
}

Status Cache::for_each_stored(int64_t folder_id, const std::function<Status(const StoredMessage&)>& fn) {
    Lock l(mutex_);
    auto st = db_.query(
        "SELECT id, uidvalidity, uid, size, received_at, flags, subject, path, compressed, gone FROM messages "
        "WHERE folder_id = ? ORDER BY received_at, uidvalidity, uid, id", folder_id);
    if (!st) return st.error();
    for (;;) {
        auto row = st->step();
        if (!row) return row.error();
        if (!*row) break;
        StoredMessage m;
        m.id = st->int64(0);
        m.uidvalidity = static_cast<uint32_t>(st->int64(1));
        m.uid = static_cast<uint32_t>(st->int64(2));
        m.size = static_cast<uint64_t>(st->int64(3));
        m.received = st->int64(4);
        m.flags = Flags::from_imap(st->text(5));
        m.subject = st->text(6);
        m.path = st->text(7);
        m.compressed = st->int64(8) != 0;
        m.gone = st->int64(9) != 0;
        Status s = fn(m);
        if (!s.ok()) {
            st->reset();
            return s;
        }
    }
    st->reset();
    return {};
}

Status Cache::insert_rows(const std::vector<MessageRecord>& rows) {
    if (rows.empty()) return {};
    // OR REPLACE: a message whose file a crashed run left unindexed and that was
    // adopted may come again; the row then describes the same file.
    auto st = db_.prepare(
        "INSERT OR REPLACE INTO messages(folder_id, uidvalidity, uid, sha256, size, received_at, "
        "flags, message_id, date_header, from_header, to_header, subject, path, fetched_at, source_key, "
        "received_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return st.error();
    int64_t now = now_epoch();
    for (const auto& m : rows) {
        st->bind(1, m.folder_id).bind(2, int64_t{m.uidvalidity}).bind(3, int64_t{m.uid})
            .bind(4, m.sha256).bind(5, static_cast<int64_t>(m.size)).bind(6, clamp_epoch(m.received))
            .bind(7, m.flags.to_imap()).bind(8, m.headers.message_id).bind(9, m.headers.date)
            .bind(10, m.headers.from).bind(11, m.headers.to).bind(12, m.headers.subject)
            .bind(13, m.path).bind(14, now).bind(16, m.received_from);
        if (m.source_key.empty()) st->bind_null(15);
        else st->bind(15, m.source_key);
        MF_TRY(st->run());
    }
    return {};
}

Status Cache::insert_messages(const std::vector<MessageRecord>& rows) {
    if (rows.empty()) return {};
    Lock l(mutex_);
    auto tx = wrap::Transaction::begin(db_);
    if (!tx) return tx.error();
    MF_TRY(insert_rows(rows));
    failpoint("index.before_commit");
    MF_TRY(tx->commit());
    failpoint("index.committed");
    return {};
}

Status Cache::store_fetched_batch(const FetchedBatch& batch) {
    if (batch.rows.empty() && batch.rekeyed.empty() && batch.recovered.empty()) return {};
    Lock l(mutex_);
    auto tx = wrap::Transaction::begin(db_);
    if (!tx) return tx.error();
    MF_TRY(insert_rows(batch.rows));
    if (!batch.rekeyed.empty()) {
        auto st = db_.prepare("UPDATE messages SET uidvalidity = ?, uid = ?, flags = ?, gone = 0 WHERE id = ?");
        if (!st) return st.error();
        for (const auto& r : batch.rekeyed)
            MF_TRY(st->bind_all(batch.uidvalidity, r.uid, r.flags, r.id).run());
    }
    if (!batch.recovered.empty()) {
        auto st = db_.prepare("DELETE FROM fetch_failures WHERE folder_id = ? AND uidvalidity = ? AND uid = ?");
        if (!st) return st.error();
        for (uint32_t uid : batch.recovered)
            MF_TRY(st->bind_all(batch.folder_id, batch.uidvalidity, uid).run());
    }
    failpoint("index.before_commit");
    MF_TRY(tx->commit());
    failpoint("index.committed");
    return {};
}

Status Cache::apply_flag_changes(const std::vector<FlagChange>& changes) {
    if (changes.empty()) return {};
    Lock l(mutex_);
    auto tx = wrap::Transaction::begin(db_);
    if (!tx) return tx.error();
    auto st = db_.prepare("UPDATE messages SET flags = ?, path = ? WHERE id = ?");
    if (!st) return st.error();
    for (const auto& c : changes) MF_TRY(st->bind_all(c.flags, c.new_path, c.id).run());
    return tx->commit();
}

Status Cache::set_gone(const std::vector<int64_t>& ids, bool gone) {
    if (ids.empty()) return {};
    Lock l(mutex_);
    auto tx = wrap::Transaction::begin(db_);
    if (!tx) return tx.error();
    auto st = db_.prepare("UPDATE messages SET gone = ? WHERE id = ?");
    if (!st) return st.error();
    for (int64_t id : ids) MF_TRY(st->bind_all(gone, id).run());
    return tx->commit();
}

Status Cache::record_failure(int64_t folder_id, uint32_t uidvalidity, uint32_t uid,
                             const std::string& reason) {
    Lock l(mutex_);
    return db_.execute(
        "INSERT INTO fetch_failures(folder_id, uidvalidity, uid, reason) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO UPDATE SET reason = excluded.reason, attempts = attempts + 1",
        folder_id, uidvalidity, uid, reason);
}

Result<std::vector<uint32_t>> Cache::failed_uids(int64_t folder_id, uint32_t uidvalidity) {
    Lock l(mutex_);
    std::vector<uint32_t> out;
    auto st = db_.query("SELECT uid FROM fetch_failures WHERE folder_id = ? AND uidvalidity = ? ORDER BY uid",
        folder_id, uidvalidity);
    if (!st) return st.error();
    MF_TRY(st->each([&] {
        out.push_back(static_cast<uint32_t>(st->int64(0)));
    }));
    return out;
}

Result<int64_t> Cache::begin_run(const std::string& command, std::optional<int64_t> source_id) {
    Lock l(mutex_);
    MF_TRY(db_.execute("INSERT INTO runs(command, source_id, started_at) VALUES (?, ?, ?)",
        command, source_id, now_epoch()));
    return db_.last_insert_id();
}

Status Cache::end_run(int64_t run_id, bool ok, const std::string& summary_json) {
    Lock l(mutex_);
    return db_.execute("UPDATE runs SET ended_at = ?, status = ?, summary = ? WHERE id = ?", now_epoch(),
                       ok ? "ok" : "failed", summary_json, run_id);
}

Status Cache::update_run(int64_t run_id, const std::string& summary_json) {
    Lock l(mutex_);
    return db_.execute("UPDATE runs SET summary = ? WHERE id = ?", summary_json, run_id);
}

Result<std::optional<RunRecord>> Cache::last_run(const std::string& command) {
    Lock l(mutex_);
    auto st = db_.query("SELECT id, started_at, ended_at, status, coalesce(summary, '') FROM runs "
                        "WHERE command = ? ORDER BY id DESC LIMIT 1", command);
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<RunRecord>();
    RunRecord r{st->int64(0), command, st->int64(1), std::nullopt, st->text(3), st->text(4)};
    if (!st->is_null(2)) r.ended_at = st->int64(2);
    return std::optional<RunRecord>(std::move(r));
}

Result<int64_t> Cache::message_count() {
    Lock l(mutex_);
    auto st = db_.prepare("SELECT count(*) FROM messages");
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    return st->int64(0);
}

}  // namespace mailferry::cache
