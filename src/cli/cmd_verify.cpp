// mailferry verify CACHE [--repair]: is every message still what was fetched?
#include <iostream>

#include <nlohmann/json.hpp>

#include "cache/cache.hpp"
#include "pipeline/report_json.hpp"
#include "cli/connect.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "cache/ledger.hpp"
#include "pipeline/verify.hpp"
#include "net/imap/imap_target.hpp"
#include "pipeline/verify_target.hpp"

namespace mailferry::cli {
namespace {



void print(const pipeline::VerifyReport& r, const std::string& cache) {
    if (r.repaired)
        std::cout << "repaired: " << r.repaired->adopted << " orphan(s) adopted, " << r.repaired->tmp_removed
                  << " tmp/ leftover(s) and " << r.repaired->stale_links_removed << " stale link(s) removed\n";
    for (const auto& p : r.problems) std::cout << p.kind << ": " << p.path << " (" << p.detail << ")\n";
    std::cout << (r.intact() ? "intact: " : "NOT intact: ") << cache << ", " << r.messages_checked << " messages ("
              << human_bytes(r.bytes_checked) << ") re-hashed";
    for (const char* k : pipeline::kVerifyProblemKinds)
        if (uint64_t n = r.count(k)) std::cout << ", " << n << " " << k;
    std::cout << "\n";
}

int verify_on_target(cache::Cache& cache, const VerifyArgs& args) {
    if (args.repair) return report_failure(make_error(ErrorKind::usage, Radius::fatal, "--repair does not go with --target"));
    Warnings warnings;
    auto connect = make_connect_options(args.target, warnings);
    if (!connect) return report_failure(connect.error());
    if (!connect->url.is_imap())
        return report_failure(make_error(ErrorKind::usage, Radius::fatal, "--target needs an IMAP URL"));
    auto ledger = cache::Ledger::existing(cache, connect->url.mailbox_key());
    if (!ledger) return report_failure(ledger.error());
    if (!*ledger)
        return report_failure(make_error(ErrorKind::not_found, Radius::fatal,
                                         "this cache was never replayed to " + connect->url.mailbox_key()));
    auto target = net::ImapTarget::open(*connect, net::AppendWindow{});
    if (!target) return report_failure(target.error());
    pipeline::TargetVerifyProgress progress;
    ProgressBar bar(!args.output.no_progress, [&progress] {
        return ProgressLine{progress.done, progress.total,
                            std::to_string(progress.done.load()) + "/" + std::to_string(progress.total.load()) + " messages"};
    });
    auto report = pipeline::verify_target(**ledger, **target, progress);
    bar.stop();
    if (!report) return report_failure(report.error());
    if (args.output.json) {
        nlohmann::json j = pipeline::to_json(*report);
        j["target"] = connect->url.display();
        std::cout << pipeline::json_text(j, 2) << "\n";
    } else {
        for (const auto& p : report->problems)
            std::cout << p.kind << ": " << p.message.folder << ", " << p.message.subject << " -> " << p.message.target_folder
                      << " (" << p.detail << ")\n";
        std::cout << (report->ok() ? "complete: " : "NOT complete: ") << connect->url.display() << ", "
                  << report->present << " of " << report->checked << " replayed messages found";
        for (const char* k : pipeline::kTargetProblemKinds)
            if (uint64_t n = report->count(k)) std::cout << ", " << n << " " << k;
        std::cout << "\n";
    }
    return report->ok() ? 0 : 1;
}

}  // namespace

int run_verify_command(const VerifyArgs& args) {
    auto cache = cache::Cache::open(args.cache, cache::OpenMode::existing);
    if (!cache) return report_failure(cache.error());
    if (!args.target.url.empty()) return verify_on_target(**cache, args);
    pipeline::VerifyProgress progress;
    ProgressBar bar(!args.output.no_progress, [&progress] {
        ProgressLine l;
        l.done = progress.messages_done;
        l.total = progress.messages_total;
        l.text = std::to_string(progress.messages_done.load()) + "/" + std::to_string(progress.messages_total.load()) +
                 " messages, " + human_bytes(progress.bytes_done);
        return l;
    });
    auto report = pipeline::run_verify(**cache, args.repair, progress);
    bar.stop();
    if (!report) return report_failure(report.error());
    if (args.output.json) {
        nlohmann::json j = pipeline::to_json(*report);
        j["cache"] = args.cache;
        std::cout << pipeline::json_text(j, 2) << "\n";
    }
    else print(*report, args.cache);
    return report->intact() ? 0 : 1;
}

}  // namespace mailferry::cli
