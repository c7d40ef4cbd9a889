#include "pipeline/source_cleanup.hpp"

namespace mailferry::pipeline {

Result<SourceDeletion> delete_cached_from_source(cache::Cache& cache, int64_t source_id, MailSource& source) {
    auto keys = cache.cached_source_keys(source_id);
    if (!keys) return keys.error();
    return source.delete_cached(*keys);
}

}  // namespace mailferry::pipeline
