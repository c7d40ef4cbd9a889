// --delete-after-fetch for POP3 (RFC 1939 §6): after a fetch, DELE the
// messages whose bytes are durable in the cache and indexed, then QUIT
// (which is when the server deletes). A message the cache does not hold is
// never deleted, whatever happened during the fetch.
#pragma once

#include <cstdint>

#include "cache/cache.hpp"
#include "net/pop3/pop3_connection.hpp"

namespace mailferry::pipeline {

// Returns how many messages the server was asked to delete. Without UIDL the
// cache cannot tell the server's messages apart safely: nothing is deleted
// and the error says so (kind usage).
Result<uint64_t> delete_cached_from_pop3(cache::Cache& cache, int64_t source_id, net::Pop3Connection& connection);

}  // namespace mailferry::pipeline
