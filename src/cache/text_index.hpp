// The full-text index (SQLite FTS5, table message_text, contentless): per
// message its subject, sender, recipients, decoded text and attachment names
// (mime/text_extract). Filled beside each fetch or import for the messages not
// indexed yet, so it is incremental and a killed run simply leaves some for
// the next one; `mailferry reindex` rebuilds it. A message whose MIME cannot
// be read is indexed by its headers and counted, never fatal.
//
// The indexer writes through a SQLite connection of its own, so that it can
// run in a thread beside a fetch that writes through the cache's connection
// (WAL: one writer at a time, each waits for the other's short transaction).
// Its connection is synchronous=NORMAL: the index can always be rebuilt from
// the message files, and a message's index rows and its text_state commit
// together, so a power cut may lose the last batches, never make them disagree.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "cache/cache.hpp"

namespace mailferry::cache {

struct TextIndexReport {
    uint64_t indexed = 0;    // messages added to the index
    uint64_t unparsed = 0;   // of which: by their headers only (broken MIME, or a limit hit)
    uint64_t unreadable = 0; // files that could not be read (verify says more)
};

struct TextIndexProgress {
    std::atomic<uint64_t> total{0}, done{0};
};

// A message's rowid in the index (messages.text_key) orders by received
// date: the seconds times 2^20, plus the low bits of its id (the next free
// key when those are taken). FTS5 reads matches in rowid order, so a search
// newest first stops at its limit, and a date range is a rowid range.
constexpr int kTextKeyShift = 20;
// The lowest key of a message received at that second (clamped: dates
// beyond +-139,000 years share the ends).
int64_t first_text_key_of(int64_t epoch_seconds);

// Indexes every message not indexed yet; rebuild: empty the index first.
Result<TextIndexReport> index_text(Cache& cache, bool rebuild, TextIndexProgress& progress);

// Indexes, in a thread of its own, what a running fetch commits, and what is
// left once the fetch is done. The Cache must outlive it.
class BackgroundTextIndex {
public:
    explicit BackgroundTextIndex(Cache& cache);
    ~BackgroundTextIndex();
    BackgroundTextIndex(const BackgroundTextIndex&) = delete;
    BackgroundTextIndex& operator=(const BackgroundTextIndex&) = delete;

    // Call when nothing more will be committed: indexes the rest, stops the
    // thread, and says what was done (or the first error).
    Result<TextIndexReport> finish();

private:
    void run();

    Cache& cache_;
    TextIndexProgress progress_;
    std::atomic<bool> stop_{false};
    Result<TextIndexReport> result_ = TextIndexReport{};
    std::thread thread_;
};

}  // namespace mailferry::cache
