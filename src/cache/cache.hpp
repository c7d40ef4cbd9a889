// The cache: a directory holding index.sqlite and mail/ (a Maildir++ tree),
// format v1 (docs/architecture.md §3, §4). This class owns the index; the Maildir side is
// written through maildir::MaildirWriter by the pipeline, which then records
// the files here, in that order. Readers need only its CacheReader side
// (include/mailferry/cache_reader.hpp), opened with OpenMode::read_only.
//
// Thread-safety: every method locks one mutex, so worker threads may share a
// Cache. One process at a time: open() takes an exclusive lock on the cache
// and refuses a second run.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mailferry/cache_reader.hpp"
#include "mailferry/flags.hpp"
#include "mailferry/mail_source.hpp"
#include "mailferry/result.hpp"
#include "mime/header_fields.hpp"
#include "wrap/posix_file.hpp"
#include "wrap/sqlite.hpp"

namespace mailferry::cache {

struct MessageRecord {
    int64_t folder_id = 0;
    uint32_t uidvalidity = 0;
    uint32_t uid = 0;
    std::string sha256;
    uint64_t size = 0;
    int64_t received = 0;
    Flags flags;
    mime::HeaderFields headers;
    std::string path;  // relative to the cache directory
    std::string source_key;                // POP3 UIDL, file identity; "" for IMAP
    std::string received_from = "server";  // see FetchedMessage::received_from
};

// A cached message recognised under a new UIDVALIDITY (same SHA-256): the
// row with this id takes the new identity.
struct Rekey {
    int64_t id = 0;
    uint32_t uid = 0;
    std::string flags;  // IMAP form
};

// What one FETCH batch of a folder changes in the index, stored in one
// transaction: its new rows, the rows re-keyed after a UIDVALIDITY change,
// and the earlier failures of UIDs that came this time. A crash leaves all of
// it or none, never a message both new and re-keyed, or a stale failure.
struct FetchedBatch {
    int64_t folder_id = 0;
    uint32_t uidvalidity = 0;
    std::vector<MessageRecord> rows;  // files already durable
    std::vector<Rekey> rekeyed;
    std::vector<uint32_t> recovered;
};

// The part of a cached message that flag refresh and re-matching need.
struct CachedMessage {
    int64_t id = 0;
    uint32_t uidvalidity = 0;
    uint32_t uid = 0;
    std::string flags;  // IMAP form
    std::string path;
    std::string sha256;
    bool gone = false;
};


struct FlagChange {
    int64_t id;
    std::string flags;     // IMAP form
    std::string new_path;  // relative to the cache
};

// Where the index says a message's bytes are.
struct MessageFileRef {
    std::string path;         // relative to the cache
    bool compressed = false;  // gzip (Dovecot's zlib plugin format)
};



// read_only: for commands that only read (status, search, show, export,
// manifest, replay --dry-run). It takes no lock, so it works while a writer
// runs, and answers every query from one snapshot: the writer's last commit
// when it was opened (one SQLite read transaction over WAL, held until the
// Cache is destroyed). It never migrates the schema and refuses a cache of
// another schema version; every write fails. Message files are read through
// cache/message_file.hpp, which finds a file the writer renamed since.
// A row of the runs table: one fetch, replay, verify, import or watch.
struct RunRecord {
    int64_t id = 0;
    std::string command;
    int64_t started_at = 0;
    std::optional<int64_t> ended_at;
    std::string status;   // running, ok, failed (a run killed stays 'running')
    std::string summary;  // JSON
};

enum class OpenMode { create_if_missing, existing, read_only };

class Cache final : public CacheReader {
public:
    static Result<std::unique_ptr<Cache>> open(const std::string& dir, OpenMode mode);

    const std::string& dir() const override { return dir_; }
    std::string mail_root() const { return dir_ + "/mail"; }
    std::string absolute(const std::string& rel) const { return dir_ + "/" + rel; }

    Result<int64_t> ensure_source(SourceKind kind, const std::string& server,
                                  const std::string& account);
    Status touch_source(int64_t source_id, int64_t when);
    Result<std::vector<SourceRecord>> sources() override;

    // Inserts or updates a folder (name, role, delimiter; on_source = 1) and
    // gives a new one a Maildir directory no other folder uses.
    Result<FolderRecord> ensure_folder(int64_t source_id, const SourceFolder& info,
                                       const std::string& wanted_maildir);
    Status mark_folders_absent(int64_t source_id, const std::vector<int64_t>& present_ids);
    Result<std::vector<FolderRecord>> folders(std::optional<int64_t> source_id = std::nullopt);
    Result<std::vector<FolderSummary>> folder_summaries() override;
    // A UIDVALIDITY other than the recorded one forgets the flags' modseq.
    Status set_folder_state(int64_t folder_id, uint32_t uidvalidity, uint32_t highest_uid,
                            int64_t when);
    // The source's HIGHESTMODSEQ when the folder's flags were last read (0: unknown).
    Result<uint64_t> flags_modseq(int64_t folder_id);
    Status set_flags_modseq(int64_t folder_id, uint64_t modseq);
    // Messages cached under this UIDVALIDITY and not gone from the source.
    Result<uint64_t> live_message_count(int64_t folder_id, uint32_t uidvalidity);

    // Highest UID cached under this UIDVALIDITY (0 if none).
    Result<uint32_t> highest_cached_uid(int64_t folder_id, uint32_t uidvalidity);
    // UidAssigner for the sources without UIDs (mail_source.hpp): one transaction.
    Result<std::vector<uint32_t>> assign_source_uids(int64_t source_id, const std::string& folder_raw_name,
                                                     const std::vector<std::string>& keys);
    // Messages of the folder cached under another UIDVALIDITY and not yet gone:
    // after a UIDVALIDITY change they wait to be re-matched by SHA-256.
    Result<int64_t> count_other_generation(int64_t folder_id, uint32_t uidvalidity);
    // Calls fn for each cached message of the folder, in UID order. fn must
    // not call back into the Cache (the lock is held).
    Status for_each_message(int64_t folder_id, const std::function<void(const CachedMessage&)>& fn);
    // CacheReader's (fn must not call back into the Cache: the lock is held).
    Status for_each_stored(int64_t folder_id, const std::function<Status(const StoredMessage&)>& fn) override;
    // The source keys (POP3 UIDLs...) of the messages indexed for a source:
    // each has its file durable in the cache.
    Result<std::set<std::string>> cached_source_keys(int64_t source_id);
    // The file of message `id` (messages.id); not_found if there is none.
    // Read it with cache/message_file.hpp.
    Result<MessageFileRef> message_file(int64_t id);
    // The key assign_source_uids gave this UID, "" if none (an IMAP folder).
    Result<std::string> source_key_of(int64_t source_id, const std::string& folder_raw_name, uint32_t uid);

    // One transaction: the rows of a batch whose files are already durable.
    Status insert_messages(const std::vector<MessageRecord>& rows);
    Status apply_flag_changes(const std::vector<FlagChange>& changes);
    Status set_gone(const std::vector<int64_t>& ids, bool gone);
    Status store_fetched_batch(const FetchedBatch& batch);

    Status record_failure(int64_t folder_id, uint32_t uidvalidity, uint32_t uid, const std::string& reason);
    Result<std::vector<uint32_t>> failed_uids(int64_t folder_id, uint32_t uidvalidity);

    Result<int64_t> begin_run(const std::string& command, std::optional<int64_t> source_id);
    Status end_run(int64_t run_id, bool ok, const std::string& summary_json);
    // A run that goes on (watch) records how it is doing; it stays 'running'.
    Status update_run(int64_t run_id, const std::string& summary_json);
    // The most recent run of this command, if any.
    Result<std::optional<RunRecord>> last_run(const std::string& command);
    Result<std::string> info(const std::string& key);

    Result<int64_t> message_count() override;
    Result<std::string> read_message(int64_t id) override;
    Result<std::string> read_message(const StoredMessage& message) override;
    Result<std::vector<SearchHit>> search(const SearchQuery& query) override;
    Result<int64_t> messages_not_indexed() override;

    // For the cache's own modules (the replay ledger): the index and the lock
    // that guards it. Hold the lock for as long as the Database is used.
    std::mutex& index_mutex() { return mutex_; }
    wrap::Database& index() { return db_; }

private:
    Cache(std::string dir, wrap::Database db, wrap::UniqueFd lock)
        : dir_(std::move(dir)), db_(std::move(db)), lock_(std::move(lock)) {}
    Status init_info();
    static Result<std::unique_ptr<Cache>> open_read_only(const std::string& dir, const std::string& index);
    // The statements of insert_messages and store_fetched_batch, run inside the caller's transaction.
    Status insert_rows(const std::vector<MessageRecord>& rows);

    std::string dir_;
    wrap::Database db_;
    wrap::UniqueFd lock_;
    std::mutex mutex_;
};

}  // namespace mailferry::cache
