// Stage 1: a MailSource into the cache (docs/architecture.md §5).
//
// Per folder: EXAMINE, compare UIDVALIDITY, refresh the flags of cached
// messages (and mark the ones gone from the source), then fetch every UID
// above the highest cached one in batches bounded by bytes and by count.
// Each batch is written under the durability contract: files durable in tmp/,
// renamed into cur/, renames durable, then one index transaction. A killed run
// therefore leaves at most files that the next run's recovery removes or adopts.
//
// Folders are fetched in parallel, one connection per worker.
//
// A message can fail alone (issue 13): over --max-message-size by its listed
// size (never asked for), or one the source gives up on with an error of radius
// message whose context names it "UID n" (over the limit by the size the
// server announced, cut off by the whole-message deadline), or one during
// which the connection was lost twice in a row. It is recorded as a fetch
// failure (asked for again next run), listed as an error, and the folder goes
// on without it on a new connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache/cache.hpp"
#include "mailferry/mail_source.hpp"
#include "pipeline/retry_policy.hpp"

namespace mailferry::pipeline {

using SourceFactory = std::function<Result<std::unique_ptr<MailSource>>()>;

struct FetchOptions {
    std::string command = "fetch";  // as the runs table records it: fetch, import
    SourceKind source_kind = SourceKind::imap;
    std::string server;   // host:port
    std::string account;  // user name
    std::vector<std::string> include, exclude;
    int connections = 2;
    uint64_t batch_bytes = 16ull << 20;
    size_t batch_messages = 2000;
    // Lost connections: a new one after a pause, up to three in a row that
    // bring nothing (then the run stops; the next one resumes).
    RetryPolicy retry;
    // Messages listed larger than this are not fetched (0: no limit). The
    // sources enforce it too, on what the server really sends.
    uint64_t max_message_size = 0;
    // Bring a cache left by a killed run back first (cache/recovery.hpp). A
    // command that runs several sources in a row (import) does it once.
    bool recover = true;
    // When set, only the folders it accepts are fetched this run (a watch's
    // pass over the folders whose STATUS changed); the others stay as they
    // are in the cache, neither fetched nor marked gone.
    std::function<bool(const SourceFolder&)> folder_wanted;
    // Asked before each batch and each folder: once it says true, the run
    // ends cleanly at that point (a watch told to stop): what was stored
    // stays, the rest waits for the next run. Empty: never.
    std::function<bool()> interrupted;
    // Add what is new to the full-text index at the end (cache/text_index.hpp);
    // --no-index leaves it for `mailferry reindex`.
    bool index_text = true;
};

// Live counters, read by the progress bar from another thread.
struct FetchProgress {
    std::atomic<uint64_t> folders_total{0}, folders_done{0};
    std::atomic<uint64_t> messages_planned{0}, bytes_planned{0};
    std::atomic<uint64_t> messages_done{0}, bytes_done{0};
};

struct FolderReport {
    std::string name;
    std::string role;
    uint64_t new_messages = 0, new_bytes = 0;
    uint64_t flags_refreshed = 0, gone = 0, rematched = 0;
    bool uidvalidity_changed = false;
    // How the cached messages' flags were read: "all", "changed" (only those
    // changed since the last fetch, CONDSTORE), "unchanged" (the folder's
    // modseq had not moved: not asked); "" when none are cached.
    std::string flags_read;
    std::string error;  // empty when the folder was fetched
    std::vector<std::string> message_errors;  // "UID n: why", messages that failed alone
};

struct FetchReport {
    std::vector<FolderReport> folders;
    uint64_t new_messages = 0, new_bytes = 0, flags_refreshed = 0, gone = 0, rematched = 0;
    uint64_t cached_messages = 0;  // in the cache after the run
    uint64_t recovered_adopted = 0, recovered_tmp_removed = 0;
    uint64_t deleted_from_source = 0;  // POP3 --delete-after-fetch (set by the caller)
    uint64_t text_indexed = 0, text_unparsed = 0;  // full-text index: added, of which by headers only
    std::vector<std::string> errors;    // one line each
    std::vector<std::string> warnings;  // one line each
    double seconds = 0;
    // The error that stopped the run, if one did (account or fatal radius).
    std::optional<Error> fatal;
    bool interrupted = false;  // FetchOptions::interrupted ended it early
    bool ok() const { return !fatal && errors.empty(); }
};

// Runs a whole fetch. `first` is a connection the caller already opened (so
// that a wrong password or a refused certificate fails before the cache is
// touched); `open_source` opens the others. Folder-level problems are in the
// report; the Result is an error only when nothing could be done at all.
Result<FetchReport> run_fetch(cache::Cache& cache, std::unique_ptr<MailSource> first,
                              const SourceFactory& open_source, const FetchOptions& options,
                              FetchProgress& progress);

}  // namespace mailferry::pipeline
