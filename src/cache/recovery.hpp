// What a run does first: bring a cache left by a killed run back to a
// consistent state (design.md §2). Files in tmp/ are removed (they were never
// renamed, so never indexed). A file in cur/ or new/ that has no index row is
// either the old name of a flag change (removed) or a message whose row was
// not committed yet (adopted: its identity is in its name, its flags in its
// info suffix, its received date in its mtime). Files of other programs are
// left alone and counted.
#pragma once

#include <cstdint>

#include "cache/cache.hpp"

namespace mailferry::cache {

struct RecoveryReport {
    uint64_t tmp_removed = 0;
    uint64_t adopted = 0;
    uint64_t stale_links_removed = 0;
    uint64_t foreign_files = 0;
};

Result<RecoveryReport> recover(Cache& cache);

}  // namespace mailferry::cache
