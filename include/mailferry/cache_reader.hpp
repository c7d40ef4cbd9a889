// CacheReader: what a reader of a mailferry cache may rely on (docs/architecture.md
// §3, §4): its sources, its folders with their counts, each folder's messages
// with their flags and dates, a message's bytes exactly as the source sent
// them, and the full-text search. Export, show, search, the web view and the
// batch runner read a cache through this contract only; writing is the
// fetch's and the replay's business (src/cache/cache.hpp, which implements it).
//
// Snapshot: a reader opened with open_cache_reader() takes no lock and answers
// every call from one state of the index, the writer's last commit when it
// was opened, however long it is held and whatever a fetch beside it does.
// It never migrates the schema and refuses a cache of another schema version.
//
// Threads: every method may be called from any thread; calls are serialised.
// A callback (for_each_stored) must not call back into the same reader.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mailferry/flags.hpp"
#include "mailferry/mail_source.hpp"
#include "mailferry/result.hpp"

namespace mailferry::cache {

struct SourceRecord {
    int64_t id = 0;
    SourceKind kind = SourceKind::imap;
    std::string server, account;
    std::optional<int64_t> last_fetch;  // epoch seconds of the last fetch that ended
};

struct FolderRecord {
    int64_t id = 0;
    int64_t source_id = 0;
    SourceFolder info;
    uint32_t uidvalidity = 0;
    uint32_t highest_uid = 0;
    std::string maildir;  // below mail/, "" for INBOX
    bool on_source = true;
    std::optional<int64_t> last_fetch;
};

struct FolderSummary {
    FolderRecord folder;
    int64_t messages = 0;
    int64_t bytes = 0;
    int64_t gone = 0;  // still cached, no longer on the source
};

// A cached message as its readers see it.
struct StoredMessage {
    int64_t id = 0;
    uint32_t uidvalidity = 0;
    uint32_t uid = 0;
    uint64_t size = 0;
    int64_t received = 0;  // INTERNALDATE, epoch seconds
    Flags flags;
    std::string subject;      // raw header value, not decoded
    std::string path;         // relative to the cache directory
    bool compressed = false;  // gzip (Dovecot's zlib plugin format)
    bool gone = false;        // no longer on the source; still cached
};

struct SearchQuery {
    std::string match;        // FTS5 query syntax; "" = every message
    std::string folder;       // pattern as in IMAP ('*', '%'), "" = all
    std::string from;         // substring of the From header, case-insensitive
    std::optional<int64_t> since, before;  // received date bounds (epoch s; since inclusive, before exclusive)
    // By received date, as mail is read, or by FTS5's rank (bm25), which
    // scores every match first: a word in most of a large cache takes long.
    enum class Order { newest, oldest, relevance } order = Order::newest;
    int limit = 50;
};

struct SearchHit {
    int64_t id = 0;
    int64_t received = 0;
    std::string folder, from, subject, snippet;  // From and Subject decoded to UTF-8
};

class CacheReader {
public:
    virtual ~CacheReader() = default;

    // The cache's directory, as it was opened.
    virtual const std::string& dir() const = 0;

    virtual Result<std::vector<SourceRecord>> sources() = 0;
    // Every folder of every source, with its message, byte and gone counts.
    virtual Result<std::vector<FolderSummary>> folder_summaries() = 0;
    // Calls fn for each cached message of the folder, gone ones included, in
    // received order (ties broken by UIDVALIDITY, then UID); stops at fn's
    // first error and returns it.
    virtual Status for_each_stored(int64_t folder_id, const std::function<Status(const StoredMessage&)>& fn) = 0;
    // The bytes of message `id` as the source sent them (decompressed where
    // the file is gzip), found even if a writer renamed the file since the
    // snapshot (its flags changed). Errors: not_found naming the message.
    virtual Result<std::string> read_message(int64_t id) = 0;
    // The same for a message the caller already holds.
    virtual Result<std::string> read_message(const StoredMessage& message) = 0;
    virtual Result<int64_t> message_count() = 0;

    // The hits in the order asked (relevance without a query: newest). An
    // FTS5 syntax error is a usage error that quotes SQLite's words.
    virtual Result<std::vector<SearchHit>> search(const SearchQuery& query) = 0;
    // How many messages the full-text index does not hold yet: a search
    // cannot find them until the next fetch, import or reindex.
    virtual Result<int64_t> messages_not_indexed() = 0;
};

// Opens the cache in dir for reading (see "Snapshot" above). Errors:
// not_found when dir holds no cache, invalid_data for a schema this build
// does not understand.
Result<std::unique_ptr<CacheReader>> open_cache_reader(const std::string& dir);

}  // namespace mailferry::cache
