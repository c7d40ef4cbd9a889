// mailferry verify: is the cache intact? Every indexed message's file is
// read again and its SHA-256 compared with the index; every folder's Maildir
// is scanned for files the index does not know (orphans, the old names of
// flag changes, files of other programs) and for tmp/ leftovers. With
// repair, what a killed run leaves is fixed first exactly as the next fetch
// would fix it (cache/recovery: orphans adopted, leftovers removed); a
// changed or missing message cannot be repaired here (fetch it again).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "cache/cache.hpp"
#include "cache/recovery.hpp"

namespace mailferry::pipeline {

struct VerifyProblem {
    std::string kind;    // missing, changed, orphan, stale_link, foreign, tmp, bad_path
    std::string folder;  // UTF-8 name
    std::string path;    // relative to the cache
    std::string detail;
};

struct VerifyReport {
    uint64_t messages_checked = 0, bytes_checked = 0;
    std::vector<VerifyProblem> problems;
    std::optional<cache::RecoveryReport> repaired;
    double seconds = 0;
    bool intact() const { return problems.empty(); }
    uint64_t count(const std::string& kind) const;
};

struct VerifyProgress {
    std::atomic<uint64_t> messages_total{0}, messages_done{0}, bytes_done{0};
};

Result<VerifyReport> run_verify(cache::Cache& cache, bool repair, VerifyProgress& progress);

}  // namespace mailferry::pipeline
