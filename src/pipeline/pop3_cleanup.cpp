#include "pipeline/pop3_cleanup.hpp"

namespace mailferry::pipeline {

Result<uint64_t> delete_cached_from_pop3(cache::Cache& cache, int64_t source_id, net::Pop3Connection& connection) {
    auto keys = cache.cached_source_keys(source_id);
    if (!keys) return keys.error();
    auto listing = connection.session().list(/*with_uidl=*/true);
    if (!listing) return listing.error();
    uint64_t deleted = 0;
    for (const auto& m : *listing) {
        if (m.uidl.empty())
            return make_error(ErrorKind::usage, Radius::account,
                              "not deleting anything: the server has no UIDL, so cached messages cannot be told apart");
        if (!keys->count(m.uidl)) continue;
        MF_TRY(connection.session().dele(m.number));
        ++deleted;
    }
    MF_TRY(connection.session().quit());
    return deleted;
}

}  // namespace mailferry::pipeline
