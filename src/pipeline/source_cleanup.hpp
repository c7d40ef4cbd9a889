// --delete-after-fetch: after a fetch, the source deletes the messages whose
// bytes are durable in the cache and indexed (MailSource::delete_cached). A
// message the cache does not hold is never deleted, whatever happened during
// the fetch: the keys come from the index, not from the run.
#pragma once

#include <cstdint>

#include "cache/cache.hpp"
#include "mailferry/mail_source.hpp"

namespace mailferry::pipeline {

Result<SourceDeletion> delete_cached_from_source(cache::Cache& cache, int64_t source_id, MailSource& source);

}  // namespace mailferry::pipeline
