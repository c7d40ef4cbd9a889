// mailferry watch CACHE --from URL [--to URL]: fetch (and replay) until the
// cutover (pipeline/watch.hpp). One heartbeat line per pass and per event on
// standard error; with --json, one JSON object per line on standard output.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cache/cache.hpp"
#include "cli/connect.hpp"
#include "cli/engine_options.hpp"
#include "cli/options.hpp"
#include "core/clock.hpp"
#include "core/time_text.hpp"
#include "core/utf8.hpp"
#include "net/imap/imap_listener.hpp"
#include "net/imap/imap_target.hpp"
#include "net/open_source.hpp"
#include "pipeline/report_json.hpp"
#include "pipeline/watch.hpp"
#include "wrap/stop_signal.hpp"

namespace mailferry::cli {
namespace {

Error usage(const std::string& what) { return make_error(ErrorKind::usage, Radius::fatal, what); }

Result<pipeline::WatchOptions> watch_times(const WatchArgs& args) {
    pipeline::WatchOptions o;
    auto interval = parse_duration(args.poll_interval);
    if (!interval || interval->count() < 1)
        return usage("--poll-interval takes a duration such as 30s, 10m or 1h, not '" + args.poll_interval + "'");
    o.poll_interval = *interval;
    if (!args.until.empty()) {
        auto until = parse_point_in_time(args.until, now_epoch());
        if (!until)
            return usage("--until takes YYYY-MM-DDTHH:MM[:SS]Z (UTC) or +DURATION, not '" + args.until + "'");
        o.until = *until;
    }
    return o;
}

std::string pass_line(const pipeline::WatchPass& p) {
    std::string line = "watch: pass " + std::to_string(p.number) + (p.final ? " (final)" : "") + " after " +
                       p.woken_by + ": " + std::to_string(p.folders_fetched) + " folders looked at, " +
                       std::to_string(p.fetch.new_messages) + " new, " +
                       std::to_string(p.fetch.flags_refreshed) + " with new flags, " +
                       std::to_string(p.fetch.gone) + " gone from the source";
    if (p.replay) line += "; " + std::to_string(p.replay->appended) + " sent to the target";
    if (p.replay && p.replay->flags_carried) line += ", " + std::to_string(p.replay->flags_carried) + " flag changes carried";
    if (p.replay && p.replay->deleted_on_target)
        line += ", " + std::to_string(p.replay->deleted_on_target) + " deleted there";
    if (p.error) line += "; error: " + p.error->describe();
    for (const auto& e : p.fetch.errors) line += "; " + e;
    return line;
}

nlohmann::json pass_json(const pipeline::WatchPass& p) {
    nlohmann::json j{{"event", "pass"}, {"number", p.number}, {"final", p.final}, {"woken_by", p.woken_by},
                     {"at", iso8601_utc(now_epoch())}, {"seconds", p.seconds},
                     {"folders_fetched", p.folders_fetched},
                     {"fetch", pipeline::to_json(p.fetch)}};
    if (p.replay) j["replay"] = pipeline::to_json(*p.replay);
    if (p.error) j["error"] = p.error->describe();
    return j;
}

void print_line(const nlohmann::json& j) { std::cout << pipeline::json_text(j, -1) << std::endl; }

int finish_watch(const pipeline::WatchReport& r, const WatchArgs& args) {
    if (args.fetch.output.json) {
        nlohmann::json j = pipeline::to_json(r);
        j["event"] = "summary";
        print_line(j);
    } else {
        std::cout << "watched " << args.fetch.source.url << " into " << args.fetch.cache << "\n"
                  << "  ended     " << (r.ended_by == "signal" ? "on a signal to stop" : r.ended_by == "until" ? "at --until, after the final pass" : "on an error") << "\n"
                  << "  passes    " << r.passes << " (" << r.failed_passes << " failed), "
                  << (r.idle ? "woken by IDLE" : "polling only") << "\n"
                  << "  messages  " << r.new_messages << " new, " << r.flags_refreshed << " with new flags, " << r.gone
                  << " gone from the source (kept in the cache)\n";
        if (!args.replay.target.url.empty())
            std::cout << "  target    " << r.appended << " sent"
                      << (args.replay.propagate_deletes ? ", " + std::to_string(r.deleted_on_target) + " deleted" : "")
                      << "\n";
    }
    if (r.fatal) return report_failure(*r.fatal);
    return 0;
}

}  // namespace

int run_watch_command(const WatchArgs& args) {
    Warnings warnings;
    auto times = watch_times(args);
    if (!times) return report_failure(times.error());
    pipeline::WatchOptions options = std::move(*times);
    auto source_made = make_connect_options(args.fetch.source, warnings);
    if (!source_made) return report_failure(source_made.error());
    source_made->max_message_size = args.fetch.max_message_mb << 20;
    const net::ConnectOptions source = std::move(*source_made);
    options.fetch = fetch_options(args.fetch, source);

    std::optional<net::ConnectOptions> target;
    const net::TargetProfile* profile = nullptr;
    if (!args.replay.target.url.empty()) {
        auto made = make_connect_options(args.replay.target, warnings);
        if (!made) return report_failure(made.error());
        if (!made->url.is_imap()) return report_failure(usage("--to needs an IMAP target (imaps:// or imap://)"));
        target = std::move(*made);
        profile = args.replay.profile.empty() ? &net::profile_for_host(target->url.host)
                                              : net::find_profile(args.replay.profile);
        auto replay = replay_options(args.replay, *target, profile);
        if (!replay) return report_failure(replay.error());
        options.replay = std::move(*replay);
    }

    SourceOpener opener{source, options.fetch};
    pipeline::SourceFactory open_source = [&opener] { return opener.open(); };
    // Sign in before touching the cache: a wrong password leaves it as it was.
    if (auto first = open_source(); !first) return report_failure(first.error());
    pipeline::TargetFactory open_target;
    if (target) {
        open_target = [&target] { return net::ImapTarget::open(*target, net::AppendWindow{}); };
        if (auto first = open_target(); !first) return report_failure(first.error());
    }
    pipeline::ListenerFactory listen;
    std::vector<std::string> idle_folders{"INBOX"};
    idle_folders.insert(idle_folders.end(), args.idle_folders.begin(), args.idle_folders.end());
    if (net::source_kind(source.url) == SourceKind::imap) {
        listen = [&source, &idle_folders] { return net::ImapIdleListener::open_all(source, idle_folders); };
        // A folder to watch that the source does not have is a mistake to say now, not a reason to poll.
        if (!args.idle_folders.empty())
            if (auto first = listen(); !first && first.error().kind == ErrorKind::not_found)
                return report_failure(first.error());
    } else if (!args.idle_folders.empty()) {
        return report_failure(usage("--idle-folder needs an IMAP source"));
    }

    // The exclusive lock for the watch's whole life: a second watch (or fetch) is refused.
    auto cache = cache::Cache::open(args.fetch.cache, cache::OpenMode::create_if_missing);
    if (!cache) return report_failure(cache.error());
    opener.cache = cache->get();

    wrap::StopSignal& stop = wrap::StopSignal::install();
    pipeline::WatchControl control{[&stop] { return stop.requested(); }, stop.wake_fd(), [] { return now_epoch(); }};
    const bool json = args.fetch.output.json;
    pipeline::WatchHooks hooks;
    hooks.on_pass = [json](const pipeline::WatchPass& p) {
        std::cerr << visible_text(pass_line(p)) << std::endl;
        if (json) print_line(pass_json(p));
    };
    hooks.on_event = [json](const std::string& what) {
        std::cerr << "watch: " << visible_text(what) << std::endl;
        if (json) print_line({{"event", "note"}, {"at", iso8601_utc(now_epoch())}, {"text", what}});
    };
    auto report = pipeline::run_watch(**cache, open_source, open_target, listen, options, control, hooks);
    return finish_watch(report, args);
}

}  // namespace mailferry::cli
