#include "pipeline/verify.hpp"

#include <algorithm>
#include <chrono>

#include "wrap/posix_file.hpp"
#include "wrap/sha256.hpp"

namespace mailferry::pipeline {
namespace {

// An index path must stay inside the cache's Maildir: never follow one that does not.
bool safe_path(const std::string& p) {
    return p.rfind("mail/", 0) == 0 && p.find("/../") == std::string::npos && p.find('\0') == std::string::npos &&
           p.size() > 5 && p.substr(p.size() - 3) != "/..";
}

Status check_messages(cache::Cache& cache, const cache::FolderRecord& folder, VerifyReport& report,
                      VerifyProgress& progress) {
    std::vector<cache::CachedMessage> rows;
    MF_TRY(cache.for_each_message(folder.id, [&](const cache::CachedMessage& m) { rows.push_back(m); }));
    for (const auto& m : rows) {
        progress.messages_done += 1;
        ++report.messages_checked;
        if (!safe_path(m.path)) {
            report.problems.push_back({"bad_path", folder.info.name, m.path, "the index points outside mail/"});
            continue;
        }
        const std::string file = cache.absolute(m.path);
        if (!wrap::exists(file)) {
            report.problems.push_back({"missing", folder.info.name, m.path, "indexed, but the file is gone"});
            continue;
        }
        auto digest = wrap::sha256_file(file);
        if (!digest) return digest.error();
        progress.bytes_done += digest->size;
        report.bytes_checked += digest->size;
        if (digest->hex != m.sha256)
            report.problems.push_back({"changed", folder.info.name, m.path,
                                       "SHA-256 " + digest->hex.substr(0, 16) + "..., the index says " +
                                           m.sha256.substr(0, 16) + "..."});
    }
    return {};
}

void report_scan(const cache::FolderScan& scan, const std::string& folder, VerifyReport& report) {
    for (const auto& p : scan.tmp_files) report.problems.push_back({"tmp", folder, p, "a leftover of an interrupted write"});
    for (const auto& p : scan.unindexed)
        report.problems.push_back({"orphan", folder, p, "a message file with no index row (--repair adopts it)"});
    for (const auto& p : scan.stale_links)
        report.problems.push_back({"stale_link", folder, p, "the old name of a flag change (--repair removes it)"});
    for (const auto& p : scan.foreign)
        report.problems.push_back({"foreign", folder, p, "a file mailferry did not write (left alone)"});
}

}  // namespace

uint64_t VerifyReport::count(const std::string& kind) const {
    return static_cast<uint64_t>(
        std::count_if(problems.begin(), problems.end(), [&](const VerifyProblem& p) { return p.kind == kind; }));
}

Result<VerifyReport> run_verify(cache::Cache& cache, bool repair, VerifyProgress& progress) {
    auto started = std::chrono::steady_clock::now();
    VerifyReport report;
    auto run_id = cache.begin_run("verify", std::nullopt);
    if (!run_id) return run_id.error();
    if (repair) {
        auto fixed = cache::recover(cache);
        if (!fixed) return fixed.error();
        report.repaired = *fixed;
    }
    auto folders = cache.folders();
    if (!folders) return folders.error();
    if (auto n = cache.message_count()) progress.messages_total = static_cast<uint64_t>(*n);
    for (const auto& f : *folders) {
        if (auto s = check_messages(cache, f, report, progress); !s) return s.error().in("folder " + f.info.name);
        auto scan = cache::scan_folder(cache, f);
        if (!scan) return scan.error().in("folder " + f.info.name);
        report_scan(*scan, f.info.name, report);
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string summary = "{\"messages_checked\": " + std::to_string(report.messages_checked) +
                          ", \"problems\": " + std::to_string(report.problems.size()) + "}";
    (void)cache.end_run(*run_id, report.intact(), summary);
    return report;
}

}  // namespace mailferry::pipeline
