// Reading a message's file from what the index says about it, for commands
// that read the cache while a fetch writes it (Cache::open with read_only).
//
// Such a reader holds a snapshot of the index, and the files move on without
// it: when a message's flags change, the writer links the file under its new
// name (Maildir keeps the flags in the name, after ":2,"), commits the row,
// then removes the old name. A path from the snapshot may therefore be gone
// while the very same file sits beside it under other flag letters. It is
// found again by its unique part (the name before ":2,"), in cur/ or new/ of
// the same folder, as Maildir readers do. A file is never removed otherwise,
// so "not found" after that search is a real loss, reported as such.
#pragma once

#include <string>

#include "mailferry/result.hpp"

namespace mailferry::cache {

class CacheReader;

// The path (relative to the cache, as the index stores it) where the message
// file that the index called rel is now. Errors: not_found naming rel.
Result<std::string> locate_message_file(const CacheReader& cache, const std::string& rel);

// The message's bytes as the server sent them: decompressed when the index
// marks the file compressed (a cache that Dovecot's zlib plugin compressed).
Result<std::string> read_message_file(const CacheReader& cache, const std::string& rel, bool compressed);

}  // namespace mailferry::cache
