// --delete-after-fetch for POP3 (RFC 1939 §6): after a fetch, DELE the
// messages whose bytes are durable in the cache and indexed, then QUIT
// (which is when the server deletes). A message the cache does not hold is
// never deleted, whatever happened during the fetch.
#pragma once

#include <cstdint>

#include "cache/cache.hpp"
#include "net/pop3/pop3_connection.hpp"

namespace mailferry::pipeline {

struct Pop3Cleanup {
    uint64_t deleted = 0;  // messages the server was asked to delete
    // Messages left on the server because another one has their UIDL: the
    // UIDL alone cannot say which of them the cache holds.
    uint64_t kept_shared_uidl = 0;
};

// Without UIDL the cache cannot tell the server's messages apart safely:
// nothing is deleted and the error says so (kind usage).
Result<Pop3Cleanup> delete_cached_from_pop3(cache::Cache& cache, int64_t source_id, net::Pop3Connection& connection);

}  // namespace mailferry::pipeline
