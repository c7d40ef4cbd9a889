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

// The hits in the order asked (relevance without a query: newest). An FTS5
// syntax error is a usage error that quotes SQLite's words.
Result<std::vector<SearchHit>> search(Cache& cache, const SearchQuery& query);

// How many messages the full-text index does not hold yet (a run killed
// before its index caught up, --no-index, or a cache from before schema 4):
// a search cannot find them until the next fetch, import or reindex.
Result<int64_t> messages_not_indexed(Cache& cache);

}  // namespace mailferry::cache
