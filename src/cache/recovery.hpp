// What a run does first: bring a cache left by a killed run back to a
// consistent state (docs/architecture.md §4). Files in tmp/ are removed (they were never
// renamed, so never indexed). A file in cur/ or new/ that has no index row is
// either the old name of a flag change (removed) or a message whose row was
// not committed yet (adopted: its identity is in its name, its flags in its
// info suffix, its received date in its mtime). Files of other programs are
// left alone and counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cache/cache.hpp"

namespace mailferry::cache {

// What lies in a folder's Maildir besides its indexed files (paths relative
// to the cache). Recovery acts on it; verify reports it.
struct FolderScan {
    std::vector<std::string> tmp_files;    // never renamed into cur/: never indexed
    std::vector<std::string> stale_links;  // the old name of a flag change (its base is indexed)
    std::vector<std::string> unindexed;    // mailferry's name, no row: a batch whose index commit never came
    std::vector<std::string> foreign;      // files mailferry did not write
};

Result<FolderScan> scan_folder(Cache& cache, const FolderRecord& folder);

struct RecoveryReport {
    uint64_t tmp_removed = 0;
    uint64_t adopted = 0;
    uint64_t stale_links_removed = 0;
    uint64_t foreign_files = 0;
};

Result<RecoveryReport> recover(Cache& cache);

}  // namespace mailferry::cache
