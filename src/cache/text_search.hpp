// Search over the full-text index (text_index.hpp): FTS5 query syntax plus
// field filters. The index keeps no text, so each hit's decoded From,
// Subject and snippet are read from its message file after the query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cache/cache.hpp"

namespace mailferry::cache {

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
    std::string folder, from, subject, snippet;
};

// The hits in the order asked (relevance without a query: newest). An FTS5
// syntax error is a usage error that quotes SQLite's words.
Result<std::vector<SearchHit>> search(Cache& cache, const SearchQuery& query);

// How many messages the full-text index does not hold yet (a run killed
// before its index caught up, --no-index, or a cache from before schema 4):
// a search cannot find them until the next fetch, import or reindex.
Result<int64_t> messages_not_indexed(Cache& cache);

}  // namespace mailferry::cache
