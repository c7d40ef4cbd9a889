// The full-text index (SQLite FTS5, table message_text): per message its
// subject, sender, recipients, decoded text and attachment names
// (mime/text_extract). Filled after each fetch or import for the messages not
// indexed yet, so it is incremental and a killed run simply leaves some for
// the next one; `mailferry reindex` rebuilds it. A message whose MIME cannot
// be read is indexed by its headers and counted, never fatal.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

// rebuild: empty the index first and index every message again.
Result<TextIndexReport> index_text(Cache& cache, bool rebuild, TextIndexProgress& progress);

struct SearchQuery {
    std::string match;        // FTS5 query syntax; "" = every message
    std::string folder;       // pattern as in IMAP ('*', '%'), "" = all
    std::string from;         // substring of the From header, case-insensitive
    std::optional<int64_t> since, before;  // received date bounds (epoch s; since inclusive, before exclusive)
    int limit = 50;
};

struct SearchHit {
    int64_t id = 0;
    int64_t received = 0;
    std::string folder, from, subject, snippet;
};

// The hits, best first (FTS5 rank; newest first without a query). An FTS5
// syntax error is a usage error that quotes SQLite's words.
Result<std::vector<SearchHit>> search(Cache& cache, const SearchQuery& query);

}  // namespace mailferry::cache
