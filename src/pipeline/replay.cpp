#include "pipeline/replay.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "cache/ledger.hpp"
#include "cache/message_file.hpp"
#include "core/clock.hpp"
#include "pipeline/folder_replayer.hpp"
#include "pipeline/long_line_repair.hpp"
#include "pipeline/preflight.hpp"
#include "pipeline/report_json.hpp"

namespace mailferry::pipeline {
namespace {

using namespace detail;

// After attempts without progress: some replies mean the whole account is
// stuck (the profile says which), the others only this folder.
void give_up(RunState& st, size_t index, const Error& e, int attempts) {
    std::string why = "gave up after " + std::to_string(attempts) + " attempts without progress";
    if (const net::StuckAccountText* stuck = st.profile.stuck_account(e.server_text)) {
        Error stop = make_error(stuck->kind, Radius::fatal, why + ": " + stuck->meaning);
        stop.server_text = e.server_text;
        st.stop(stop);
        return;
    }
    st.reports[index].error = why + ": " + e.describe();
}

// One folder, on as many connections as it takes (retry_policy.hpp): a
// throttle, a BYE or a lost line costs the connection, and the folder resumes
// on a new one after the pause, from what the ledger says.
void replay_one(RunState& st, std::unique_ptr<MailTarget>& target, size_t index, std::mt19937& rng,
                bool final_sweep = false) {
    std::function<AttemptResult(MailTarget&)> attempt = [&](MailTarget& t) -> AttemptResult {
        FolderOutcome folder = replay_folder(st, t, index, final_sweep);
        return {folder.status, folder.progress > 0};
    };
    std::function<bool()> stopped = [&st] { return st.stopped(); };
    std::function<void()> reconnected = [&st] {
        std::lock_guard<std::mutex> l(st.mutex);
        st.totals.reconnects += 1;
    };
    RetryOutcome out =
        run_with_retries<MailTarget>(st.options.retry, target, st.open_target, attempt, stopped, reconnected, rng);
    switch (out.end) {
    case RetryEnd::done:
    case RetryEnd::stopped:
        return;
    case RetryEnd::folder_failed: {
        Error e = *out.error;
        e.context.clear();
        st.reports[index].error = e.describe();
        return;
    }
    case RetryEnd::gave_up:
        // No connection at all: the other folders would fare no better.
        if (out.connecting) st.stop(*out.error);
        else give_up(st, index, *out.error, out.stalled);
        return;
    case RetryEnd::ends_run: {
        Error e = *out.error;
        e.in("folder " + st.reports[index].target);
        st.stop(e);
        return;
    }
    }
}

void worker(RunState& st, std::unique_ptr<MailTarget> target, unsigned seed) {
    std::mt19937 rng(seed);
    for (;;) {
        size_t index;
        {
            std::lock_guard<std::mutex> l(st.mutex);
            if (st.fatal || st.queue.empty()) return;
            index = st.queue.front();
            st.queue.pop_front();
        }
        replay_one(st, target, index, rng);
        st.progress.folders_done += 1;
    }
}

// Messages left pending by connections that died in this run are looked for
// once more, after the server has had time to finish what it was given.
void final_sweep(RunState& st) {
    auto counts = st.ledger.counts();
    if (st.stopped() || !counts || counts->pending == 0) return;
    std::unique_ptr<MailTarget> target;
    std::mt19937 rng(999);
    for (size_t i = 0; i < st.reports.size() && !st.stopped(); ++i) replay_one(st, target, i, rng, true);
}

Result<std::vector<PlannedFolder>> make_plan(cache::Cache& cache, MailTarget& target, const ReplayOptions& o,
                                             std::vector<int64_t>& folder_ids) {
    auto listed = target.list_folders();
    if (!listed) return listed.error();
    std::vector<PlanTarget> targets;
    char delimiter = o.profile->separator;
    for (const auto& f : *listed) {
        if (f.delimiter) delimiter = f.delimiter;
        targets.push_back({f.name, f.role});
    }
    auto folders = cache.folders();
    if (!folders) return folders.error();
    std::vector<PlanSource> sources;
    for (const auto& f : *folders)
        if (f.info.selectable) sources.push_back({f.id, f.info.name, f.info.delimiter, f.info.role});
    PlanOptions po{o.profile, delimiter, o.target_prefix, o.folder_map};
    auto plan = plan_folders(sources, targets, po);
    for (const auto& p : plan) folder_ids.push_back(p.source_id);
    return plan;
}

// What the wire form changes in a message, for the dry run's list.
std::string repairs_of(const WireMessage& w) {
    std::string out;
    auto add = [&out](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
    if (w.line_endings_repaired) add(std::to_string(w.line_endings_repaired) + " line endings to CRLF");
    if (w.nul_removed) add(std::to_string(w.nul_removed) + " NUL bytes removed");
    if (w.receipt_disarmed) add("read receipt disarmed");
    return out;
}

bool findings_had_long_lines(const std::string& bytes, const net::TargetProfile& profile) {
    return profile.max_line_length && inspect_message(bytes, profile, 0).long_lines;
}

// The dry run's figures, and the progress bar's total.
Status measure(RunState& st, size_t index, bool inspect) {
    auto& r = st.reports[index];
    int64_t after = 0;
    for (;;) {
        auto page = st.ledger.to_replay(st.folder_ids[index], after, kPage);
        if (!page) return page.error();
        if (page->empty()) return {};
        for (const auto& item : *page) {
            after = item.message_id;
            r.to_send += 1;
            r.bytes_to_send += item.size;
            if (!inspect) continue;
            auto bytes = cache::read_message_file(st.cache, item.path, item.compressed);
            if (!bytes) return bytes.error();
            auto f = inspect_message(*bytes, st.profile, st.size_limit);
            for (const auto& w : f.warnings()) st.totals.warnings[w] += 1;
            if (f.long_lines && st.options.repair_long_lines) {
                auto fixed = repair_long_lines(to_wire(*bytes, false).bytes, st.profile.max_line_length);
                if (fixed.failure.empty()) {
                    f.long_lines = false;
                    st.totals.long_lines_repaired += 1;
                }
            }
            std::string blocked = f.blocking_reason(st.profile, bytes->size(), st.size_limit);
            if (!blocked.empty()) st.totals.skipped.push_back({r.source, describe_message(item), blocked});
            (void)flags_for(stored_flags(item.flags, st.totals), st.profile, st.profile.keywords_allowed, st.totals);
            WireMessage w = to_wire(*bytes, st.options.disarm_receipts);
            std::string what = repairs_of(w);
            if (f.long_lines == false && st.options.repair_long_lines && blocked.empty() &&
                findings_had_long_lines(*bytes, st.profile))
                what += std::string(what.empty() ? "" : ", ") + "long lines re-encoded";
            if (!what.empty()) st.totals.repaired.push_back({r.source, describe_message(item), what});
            st.totals.line_endings_repaired += w.line_endings_repaired;
            st.totals.nul_removed += w.nul_removed;
            st.totals.receipts_disarmed += w.receipt_disarmed;
        }
    }
}

// The folder plan, made over the first connection (on the retry policy), and
// a report per planned folder.
Status plan_run(RunState& st, std::unique_ptr<MailTarget>& first) {
    std::vector<PlannedFolder> plan;
    std::function<Status(MailTarget&)> plan_step = [&](MailTarget& t) -> Status {
        st.folder_ids.clear();
        auto made = make_plan(st.cache, t, st.options, st.folder_ids);
        if (!made) return made.error();
        plan = std::move(*made);
        return {};
    };
    MF_TRY(first_step_with_retries<MailTarget>(st.options.retry, first, st.open_target, plan_step));
    for (const auto& p : plan) {
        ReplayFolderReport r;
        r.source = p.source_name;
        r.target = p.target_name;
        r.rule = p.rule;
        r.notes = p.notes;
        st.reports.push_back(std::move(r));
    }
    return {};
}

// --connections workers (the profile's default), one connection each, the
// first on the connection that made the plan; then the final sweep.
void run_workers(RunState& st, std::unique_ptr<MailTarget> first) {
    int n = st.options.connections > 0 ? st.options.connections : st.profile.default_connections;
    n = std::max(1, std::min<int>(n, static_cast<int>(st.queue.size())));
    std::vector<std::thread> threads;
    for (int i = 1; i < n; ++i) threads.emplace_back(worker, std::ref(st), nullptr, 1000u + static_cast<unsigned>(i));
    worker(st, std::move(first), 1000u);
    for (auto& t : threads) t.join();
    final_sweep(st);
}

ReplayReport summarize(RunState& st) {
    ReplayReport report = std::move(st.totals);
    report.dry_run = st.options.dry_run;
    report.folders = std::move(st.reports);
    for (const auto& f : report.folders) {
        report.appended += f.appended;
        report.bytes += f.bytes;
        report.resolved += f.resolved;
    }
    report.fatal = st.fatal;
    return report;
}

// The audit trail (docs/architecture.md §3, runs): what this run did, in numbers.
std::string run_summary(const ReplayReport& r, const std::string& target_key) {
    return json_text(nlohmann::json{{"target", target_key}, {"appended", r.appended}, {"bytes", r.bytes},
                                    {"resolved", r.resolved}, {"skipped", r.skipped.size()},
                                    {"failed", r.failed.size()}, {"throttled", r.throttled}});
}

}  // namespace

Result<ReplayReport> run_replay(cache::Cache& cache, std::unique_ptr<MailTarget> first,
                                const TargetFactory& open_target, const ReplayOptions& o, ReplayProgress& progress) {
    auto started = Clock::now();
    // A dry run touches nothing: the cache is open read-only, and a target
    // never replayed gets an empty ledger rather than a row of its own.
    auto ledger = o.dry_run ? cache::Ledger::for_target_read_only(cache, o.target_key)
                            : cache::Ledger::for_target(cache, o.target_key, o.profile->name);
    if (!ledger) return ledger.error();
    uint64_t limit = o.max_message_size ? o.max_message_size : o.profile->max_message_size;
    RunState st{cache, *ledger, open_target, o, *o.profile, limit, progress,
                RateLimiter(o.max_messages_per_second, o.max_bytes_per_second), {}, {}, {}, {}, {}, {}, {}, {}, {}};
    MF_TRY(plan_run(st, first));
    std::optional<int64_t> run_id;
    if (!o.dry_run) {
        auto started_run = cache.begin_run("replay", std::nullopt);
        if (!started_run) return started_run.error();
        run_id = *started_run;
    }
    std::optional<std::set<std::string>> sent_work;
    if (o.only_folders_with_work) {
        auto w = st.ledger.folders_with_sent_work(o.propagate_deletes);
        if (!w) return w.error();
        sent_work = std::move(*w);
    }
    for (size_t i = 0; i < st.reports.size(); ++i) {
        MF_TRY(measure(st, i, o.dry_run));
        if (sent_work && st.reports[i].to_send == 0 && !sent_work->count(st.reports[i].target)) continue;
        progress.messages_planned += st.reports[i].to_send;
        progress.bytes_planned += st.reports[i].bytes_to_send;
        st.queue.push_back(i);
    }
    progress.folders_total = st.queue.size();
    if (!o.dry_run) run_workers(st, std::move(first));
    ReplayReport report = summarize(st);
    report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (run_id) (void)cache.end_run(*run_id, report.ok(), run_summary(report, o.target_key));
    return report;
}

}  // namespace mailferry::pipeline
