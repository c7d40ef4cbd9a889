// mailferry replay CACHE --to URL: the cache into a target mailbox.
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cache/cache.hpp"
#include "pipeline/report_json.hpp"
#include "cli/connect.hpp"
#include "cli/engine_options.hpp"
#include "cli/options.hpp"
#include "net/imap/imap_target.hpp"
#include "pipeline/replay.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::cli {
namespace {

void print_plan(const pipeline::ReplayReport& r) {
    std::cout << "folder plan:\n";
    for (const auto& f : r.folders) {
        std::cout << "  " << f.source << "  ->  " << f.target << "   (" << f.rule << "; " << f.to_send << " to send, "
                  << human_bytes(f.bytes_to_send) << ")\n";
        for (const auto& n : f.notes) std::cout << "      note: " << n << "\n";
    }
}

void print_summary(const pipeline::ReplayReport& r, const std::string& target) {
    if (r.dry_run) {
        print_plan(r);
        constexpr size_t shown = 20;
        for (size_t i = 0; i < r.repaired.size() && i < shown; ++i)
            std::cout << "  would repair " << r.repaired[i].folder << ", " << r.repaired[i].subject << ": "
                      << r.repaired[i].reason << "\n";
        if (r.repaired.size() > shown)
            std::cout << "  ... and " << r.repaired.size() - shown << " more (all of them with --json)\n";
    } else {
        for (const auto& f : r.folders)
            for (const auto& n : f.notes) std::cout << "note: " << f.source << " -> " << f.target << ": " << n << "\n";
    }
    std::cout << (r.dry_run ? "dry run for " : "replayed into ") << target << "\n";
    if (!r.dry_run)
        std::cout << "  appended  " << r.appended << " (" << human_bytes(r.bytes) << "), " << r.resolved
                  << " found already there after an interrupted run\n";
    std::cout << "  skipped   " << r.skipped.size() << ", failed " << r.failed.size() << "\n"
              << "  repaired  " << r.line_endings_repaired << " line endings, " << r.nul_removed << " NUL bytes, "
              << r.receipts_disarmed << " read receipts disarmed, " << r.long_lines_repaired
              << " messages with long lines re-encoded\n"
              << "  held back " << r.keywords_not_sent << " keywords, " << r.mdnsent_not_sent << " $MDNSent";
    if (!r.dry_run)
        std::cout << "; " << r.flagged_stored << " \\Flagged set after the APPEND, " << r.flags_carried
                  << " flag changes carried to messages sent before";
    std::cout << "\n";
    if (r.deleted_on_target || r.gone_not_sent)
        std::cout << "  deleted   " << r.deleted_on_target << " from the target, " << r.gone_not_sent
                  << " not sent: deleted at the source (--propagate-deletes)\n";
    for (const auto& [what, n] : r.warnings) std::cout << "  note      " << n << " message(s): " << what << "\n";
    if (!r.dry_run) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.1f", r.seconds);
        std::cout << "  pacing    " << r.throttled << " throttled, " << r.reconnects << " reconnects\n"
                  << "  time      " << secs << " s\n";
    }
}

}  // namespace

// The engine's options from the command line (the folder map read and checked here).
Result<pipeline::ReplayOptions> replay_options(const ReplayArgs& args, const net::ConnectOptions& connect,
                                               const net::TargetProfile* profile) {
    pipeline::ReplayOptions o;
    o.target_url = connect.url.display();
    o.target_key = connect.url.mailbox_key();
    o.profile = profile;
    o.max_message_size = static_cast<uint64_t>(args.max_message_size_mb * 1000 * 1000);
    o.target_prefix = args.target_prefix;
    o.connections = args.connections;
    o.dry_run = args.dry_run;
    o.disarm_receipts = args.disarm_read_receipts;
    o.propagate_deletes = args.propagate_deletes;
    o.repair_long_lines = std::find(args.repairs.begin(), args.repairs.end(), "long-lines") != args.repairs.end();
    o.max_messages_per_second = args.max_messages_per_second;
    o.max_bytes_per_second = args.max_bytes_per_second;
    if (!args.folder_map_file.empty()) {
        auto text = wrap::read_file(args.folder_map_file);
        if (!text) return text.error();
        auto map = pipeline::parse_folder_map(*text, args.folder_map_file);
        if (!map) return map.error();
        o.folder_map = std::move(*map);
    }
    return o;
}

int run_replay_command(const ReplayArgs& args) {
    Warnings warnings;
    auto made = make_connect_options(args.target, warnings);
    if (!made) return report_failure(made.error());
    const net::ConnectOptions connect = std::move(*made);
    if (!connect.url.is_imap())
        return report_failure(make_error(ErrorKind::usage, Radius::fatal, "replay needs an IMAP target (imaps:// or imap://)"));
    const net::TargetProfile* profile =
        args.profile.empty() ? &net::profile_for_host(connect.url.host) : net::find_profile(args.profile);

    auto made_options = replay_options(args, connect, profile);
    if (!made_options) return report_failure(made_options.error());
    const pipeline::ReplayOptions& o = *made_options;

    // --dry-run promises to touch nothing: the cache is opened read-only.
    auto cache = cache::Cache::open(args.cache, args.dry_run ? cache::OpenMode::read_only : cache::OpenMode::existing);
    if (!cache) return report_failure(cache.error());
    pipeline::TargetFactory open_target = [&connect] { return net::ImapTarget::open(connect, net::AppendWindow{}); };
    auto first = open_target();
    if (!first) return report_failure(first.error());

    pipeline::ReplayProgress progress;
    ProgressBar bar(!args.output.no_progress && !args.dry_run, [&progress] { return transfer_progress_line(progress); });
    auto report = pipeline::run_replay(**cache, std::move(*first), open_target, o, progress);
    bar.stop();
    if (!report) return report_failure(report.error());

    for (const auto& f : report->folders)
        if (!f.error.empty()) std::cerr << "error: folder " << f.source << " -> " << f.target << ": " << f.error << "\n";
    for (const auto& m : report->failed)
        std::cerr << "failed: " << m.folder << ", " << m.subject << ": " << m.reason << "\n";
    for (const auto& m : report->skipped)
        std::cerr << "skipped: " << m.folder << ", " << m.subject << ": " << m.reason << "\n";
    if (args.output.json) {
        nlohmann::json j = pipeline::to_json(*report);
        j["target"] = o.target_url;
        j["profile"] = profile->name;
        j["auth"] = auth_name(connect);
        j["token_refreshes"] = token_refreshes(connect);
        std::cout << pipeline::json_text(j, 2) << "\n";
    } else {
        print_summary(*report, o.target_url);
        if (connect.tokens) std::cout << "  oauth2    " << token_refreshes(connect) << " token refreshes\n";
    }
    if (report->fatal) return report_failure(*report->fatal);
    return report->ok() ? 0 : 1;
}

}  // namespace mailferry::cli
