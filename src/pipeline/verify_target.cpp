#include "pipeline/verify_target.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>


namespace mailferry::pipeline {
namespace {

struct OnTarget {
    uint64_t size = 0;
    std::string message_id;
};

// The messages of one target folder, checked together: one EXAMINE, one UID FETCH per 500 UIDs.
Status check_folder(MailTarget& target, const std::string& folder, std::vector<const cache::PlacedMessage*>& rows,
                    TargetVerifyReport& report, TargetVerifyProgress& progress) {
    auto problem = [&](const char* kind, const cache::PlacedMessage& m, std::string detail) {
        report.problems.push_back({kind, m, std::move(detail)});
    };
    auto opened = target.open_folder(folder, true);
    if (!opened) {
        if (opened.error().kind != ErrorKind::not_found) return opened.error();
        for (auto* m : rows) problem("folder_missing", *m, "the target folder " + folder + " does not exist");
        return {};
    }
    const uint32_t uidvalidity = opened->uidvalidity;
    std::vector<uint32_t> uids;
    for (auto* m : rows)
        if (m->target_uid && m->target_uidvalidity == uidvalidity) uids.push_back(m->target_uid);
    std::sort(uids.begin(), uids.end());
    std::map<uint32_t, OnTarget> found;
    MF_TRY(target.describe_messages(uids, [&](const TargetMessage& t) {
        found[t.uid] = {t.size, normalized_message_id(t.message_id)};
    }));
    for (auto* m : rows) {
        progress.done += 1;
        ++report.checked;
        if (m->target_uid == 0) {  // no APPENDUID: look for it by Message-ID
            if (m->header_message_id.empty()) {
                problem("missing", *m, "appended without APPENDUID and without a Message-ID: cannot be found");
                continue;
            }
            auto hits = target.find_messages(m->header_message_id, 0, 0);
            if (!hits) return hits.error();
            if (hits->empty()) problem("missing", *m, "not found by its Message-ID in " + folder);
            else ++report.present;
            continue;
        }
        if (m->target_uidvalidity != uidvalidity) {
            problem("uidvalidity_changed", *m,
                    folder + " has UIDVALIDITY " + std::to_string(uidvalidity) + ", the ledger recorded " +
                        std::to_string(m->target_uidvalidity) + ": its UIDs mean other messages now");
            continue;
        }
        auto it = found.find(m->target_uid);
        if (it == found.end()) {
            problem("missing", *m, "UID " + std::to_string(m->target_uid) + " is not in " + folder);
            continue;
        }
        const std::string cached_id = normalized_message_id(m->header_message_id);
        if (!cached_id.empty() && !it->second.message_id.empty() && cached_id != it->second.message_id) {
            problem("different", *m, "UID " + std::to_string(m->target_uid) + " in " + folder + " has Message-ID " +
                                         it->second.message_id);
            continue;
        }
        ++report.present;
        if (!plausible_size(m->size, it->second.size))
            problem("size_implausible", *m, "UID " + std::to_string(m->target_uid) + " has " +
                                                std::to_string(it->second.size) + " bytes, the cache " +
                                                std::to_string(m->size));
    }
    return {};
}

}  // namespace

bool plausible_size(uint64_t cached, uint64_t on_target) {
    return on_target * 2 + 65536 >= cached && on_target <= cached * 2 + 65536;
}

std::string normalized_message_id(std::string_view text) {
    std::string out;
    for (char c : text)
        if (!std::isspace(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (out.size() >= 2 && out.front() == '<' && out.back() == '>') out = out.substr(1, out.size() - 2);
    return out;
}

bool TargetVerifyReport::ok() const {
    return std::all_of(problems.begin(), problems.end(), [](const TargetProblem& p) { return p.kind == "size_implausible"; });
}

uint64_t TargetVerifyReport::count(const std::string& kind) const {
    return static_cast<uint64_t>(
        std::count_if(problems.begin(), problems.end(), [&](const TargetProblem& p) { return p.kind == kind; }));
}

Result<TargetVerifyReport> verify_target(cache::Ledger& ledger, MailTarget& target,
                                         TargetVerifyProgress& progress) {
    auto started = std::chrono::steady_clock::now();
    auto placed = ledger.placed();
    if (!placed) return placed.error();
    progress.total = placed->size();
    TargetVerifyReport report;
    std::map<std::string, std::vector<const cache::PlacedMessage*>> by_folder;
    for (const auto& p : *placed) by_folder[p.target_folder].push_back(&p);
    for (auto& [folder, rows] : by_folder)
        if (auto s = check_folder(target, folder, rows, report, progress); !s)
            return s.error().in("target folder " + folder);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace mailferry::pipeline
