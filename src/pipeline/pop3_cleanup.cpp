#include "pipeline/pop3_cleanup.hpp"

#include <map>

namespace mailferry::pipeline {

Result<Pop3Cleanup> delete_cached_from_pop3(cache::Cache& cache, int64_t source_id, net::Pop3Connection& connection) {
    auto keys = cache.cached_source_keys(source_id);
    if (!keys) return keys.error();
    auto listing = connection.session().list(/*with_uidl=*/true);
    if (!listing) return listing.error();
    std::map<std::string, int> uses;
    for (const auto& m : *listing) {
        if (m.uidl.empty())
            return make_error(ErrorKind::usage, Radius::account,
                              "not deleting anything: the server has no UIDL, so cached messages cannot be told apart");
        ++uses[m.uidl];
    }
    Pop3Cleanup done;
    for (const auto& m : *listing) {
        // A UIDL two messages share names neither for sure: the cache may hold
        // one of them only (the fetch keys such messages by their SHA-256 too).
        if (uses[m.uidl] > 1) {
            ++done.kept_shared_uidl;
            continue;
        }
        if (!keys->count(m.uidl)) continue;
        MF_TRY(connection.session().dele(m.number));
        ++done.deleted;
    }
    MF_TRY(connection.session().quit());
    return done;
}

}  // namespace mailferry::pipeline
