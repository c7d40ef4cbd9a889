// mailferry fetch CACHE --from URL: a source mailbox into the cache.
#include <cstdio>
#include <iostream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cache/cache.hpp"
#include "pipeline/report_json.hpp"
#include "core/utf8.hpp"
#include "cli/options.hpp"
#include "cli/connect.hpp"
#include "cli/engine_options.hpp"
#include "cli/terminal.hpp"
#include "net/open_source.hpp"
#include "net/pop3/pop3_connection.hpp"
#include "net/target_profile.hpp"
#include "pipeline/fetch.hpp"
#include "pipeline/source_cleanup.hpp"

namespace mailferry::cli {
namespace {

void print_summary(const pipeline::FetchReport& r, const std::string& source, const std::string& cache) {
    size_t failed = 0;
    for (const auto& f : r.folders) failed += !f.error.empty();
    std::cout << "fetched " << source << " into " << cache << "\n"
              << "  folders   " << r.folders.size() << " (" << failed << " with errors)\n"
              << "  messages  " << r.new_messages << " new (" << human_bytes(r.new_bytes) << "), "
              << r.flags_refreshed << " with new flags, " << r.gone << " gone from the source";
    if (r.rematched) std::cout << ", " << r.rematched << " re-matched";
    std::cout << "\n  cache     " << r.cached_messages << " messages\n";
    if (r.deleted_from_source) std::cout << "  deleted   " << r.deleted_from_source << " from the source (--delete-after-fetch)\n";
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", r.seconds);
    std::cout << "  time      " << secs << " s\n";
}

// POP3 keeps mail on the server unless asked; then only what the cache holds
// goes, over a new connection (the fetch's own are closed by now). The
// outcome goes into the report.
Result<SourceDeletion> delete_cached(cache::Cache& cache, const net::ConnectOptions& connect,
                                     const pipeline::SourceFactory& connect_source) {
    auto source = cache.ensure_source(net::source_kind(connect.url), connect.url.server(), connect.url.user);
    if (!source) return source.error();
    auto opened = connect_source();
    if (!opened) return opened.error();
    return pipeline::delete_cached_from_source(cache, *source, **opened);
}

void delete_after_fetch(cache::Cache& cache, const net::ConnectOptions& connect,
                        const pipeline::SourceFactory& connect_source, pipeline::FetchReport& report) {
    auto cleaned = delete_cached(cache, connect, connect_source);
    if (!cleaned) {
        report.errors.push_back("--delete-after-fetch: " + cleaned.error().describe());
        return;
    }
    report.deleted_from_source = cleaned->deleted;
    if (cleaned->kept_shared_key)
        report.warnings.push_back(std::to_string(cleaned->kept_shared_key) +
                                  " message(s) left on the server by --delete-after-fetch: each "
                                  "shares its UIDL with another message");
}

ProgressLine fetch_progress_line(const pipeline::FetchProgress& progress) {
    ProgressLine l;
    l.done = progress.bytes_done;
    l.total = progress.bytes_planned;
    l.text = std::to_string(progress.messages_done.load()) + "/" + std::to_string(progress.messages_planned.load()) +
             " messages, " + human_bytes(progress.bytes_done) + ", folders " +
             std::to_string(progress.folders_done.load()) + "/" + std::to_string(progress.folders_total.load());
    return l;
}

// The report on the terminal (or as JSON); the exit code it means.
int finish_fetch(const pipeline::FetchReport& report, const FetchArgs& args, const net::ConnectOptions& connect,
                 Warnings& warnings) {
    for (const auto& w : report.warnings) warnings("warning: " + w);  // Warnings shows controls as text
    for (const auto& e : report.errors) std::cerr << "error: " << visible_text(e) << "\n";
    if (args.output.json) {
        nlohmann::json j = pipeline::to_json(report);
        j["source"] = connect.url.display();
        j["cache"] = args.cache;
        j["auth"] = auth_name(connect);
        j["token_refreshes"] = token_refreshes(connect);
        std::cout << pipeline::json_text(j, 2) << "\n";
    } else {
        print_summary(report, connect.url.display(), args.cache);
        if (connect.tokens) std::cout << "  oauth2    " << token_refreshes(connect) << " token refreshes\n";
    }
    // describe() shows control and bidi characters as text (visible_text).
    if (report.fatal) return report_failure(*report.fatal);
    return report.errors.empty() ? 0 : 1;
}

}  // namespace

pipeline::FetchOptions fetch_options(const FetchArgs& args, const net::ConnectOptions& connect) {
    pipeline::FetchOptions options;
    options.source_kind = net::source_kind(connect.url);
    options.server = connect.url.server();
    options.account = connect.url.user;
    options.include = args.include;
    options.exclude = args.exclude;
    // Exchange as the source: its Calendar, Contacts, Outbox... hold no mail
    // worth moving and must not come back on replay (docs/office365.md, "Folders").
    const net::TargetProfile& source_profile = net::profile_for_host(connect.url.host);
    for (const auto& name : source_profile.reserved_folders) {
        options.exclude.push_back(name);
        options.exclude.push_back(name + "/*");
    }
    options.connections = args.connections;
    options.max_message_size = connect.max_message_size;
    options.index_text = !args.no_index;
    return options;
}

Result<std::unique_ptr<MailSource>> SourceOpener::open() {
    UidAssigner assign_uids = [this](const std::string& folder, const std::vector<std::string>& keys)
        -> Result<std::vector<uint32_t>> {
        if (!cache) return make_error(ErrorKind::internal, Radius::fatal, "UIDs asked for before the cache opened");
        auto source = cache->ensure_source(options.source_kind, options.server, options.account);
        if (!source) return source.error();
        return cache->assign_source_uids(*source, folder, keys);
    };
    return net::open_source(connect, assign_uids);
}

int run_fetch_command(const FetchArgs& args) {
    Warnings warnings;
    auto made = make_connect_options(args.source, warnings);
    if (!made) return report_failure(made.error());
    if (args.delete_after_fetch && net::source_kind(made->url) != SourceKind::pop3)
        return report_failure(make_error(ErrorKind::usage, Radius::fatal, "--delete-after-fetch is for POP3 sources only"));
    made->max_message_size = args.max_message_mb << 20;
    const net::ConnectOptions connect = std::move(*made);
    const pipeline::FetchOptions options = fetch_options(args, connect);

    SourceOpener opener{connect, options};
    pipeline::SourceFactory connect_source = [&opener] { return opener.open(); };
    // Connect before touching the cache: a wrong password or a refused
    // certificate leaves the cache exactly as it was (or not created).
    auto first = connect_source();
    if (!first) return report_failure(first.error());
    auto cache = cache::Cache::open(args.cache, cache::OpenMode::create_if_missing);
    if (!cache) return report_failure(cache.error());
    opener.cache = cache->get();

    pipeline::FetchProgress progress;
    ProgressBar bar(!args.output.no_progress, [&progress] { return fetch_progress_line(progress); });
    auto report = pipeline::run_fetch(**cache, std::move(*first), connect_source, options, progress);
    bar.stop();
    if (!report) return report_failure(report.error());
    if (args.delete_after_fetch && !report->fatal) delete_after_fetch(**cache, connect, connect_source, *report);
    return finish_fetch(*report, args, connect, warnings);
}

}  // namespace mailferry::cli
