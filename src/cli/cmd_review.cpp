// Air-gapped review of a cache: mailferry reindex, search and show (text,
// headers, exact bytes, or the attachments saved as files). Nothing here
// touches the network.
#include <functional>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cache/cache.hpp"
#include "cache/text_index.hpp"
#include "pipeline/report_json.hpp"
#include "cli/connect.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "core/clock.hpp"
#include "pipeline/attachment_saver.hpp"
#include "pipeline/export_paths.hpp"
#include "pipeline/message_view.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::cli {
namespace {

Error usage(std::string text) { return make_error(ErrorKind::usage, Radius::fatal, std::move(text)); }

// "2024-03-01" (UTC midnight) to epoch seconds.
Result<int64_t> parse_day(const std::string& text, const char* option) {
    int y = 0, m = 0, d = 0;
    char end = 0;
    std::optional<int64_t> t;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &end) == 3) t = epoch_from_fields(y, m, d, 0, 0, 0, 0);
    if (!t) return usage(std::string(option) + " takes a date as YYYY-MM-DD that the calendar has, not '" + text + "'");
    return *t;
}

// One line per file as it is saved. The name the message gave is not printed:
// it may hold bidi or other tricks for a terminal; --json has it.
void print_saved(const pipeline::SavedAttachment& s) {
    bool sanitised = !s.name.empty() && pipeline::safe_file_name(s.name) != s.name;
    std::cout << "saved " << s.file << "  " << s.bytes << " bytes  " << s.content_type
              << (sanitised ? "  (name sanitised: --json shows the one in the message)" : "")
              << (s.decoded ? "" : "  (still in its transfer encoding: not decoded here)") << "\n";
}

int show_attachments(const ReviewArgs& args, const std::string& cache_dir, std::string_view message) {
    const std::string& dir = args.save_attachments;
    if (Status ok = pipeline::check_output_directory(cache_dir, dir, "the attachment directory"); !ok)
        return report_failure(ok.error());
    std::function<void(const pipeline::SavedAttachment&)> on_saved;
    if (!args.output.json) on_saved = print_saved;
    pipeline::AttachmentsSaved r = pipeline::save_attachments(message, dir, on_saved);
    for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
    if (args.output.json) {
        nlohmann::json j = pipeline::to_json(r);
        j["command"] = "show";
        j["id"] = args.id;
        std::cout << pipeline::json_text(j, 2) << "\n";
    } else if (r.saved.empty() && !r.failure) {
        std::cout << "no attachments in message " << args.id << "\n";
    } else {
        std::cout << r.saved.size() << " attachment(s) saved in " << dir << ", " << r.bytes() << " bytes\n";
    }
    if (r.failure) return report_failure(*r.failure);
    if (!r.scan.parsed) {
        std::cerr << "mailferry: message " << args.id << ": attachments may be missing: " << r.scan.problem << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

int run_reindex_command(const ReviewArgs& args) {
    auto cache = cache::Cache::open(args.cache, cache::OpenMode::existing);
    if (!cache) return report_failure(cache.error());
    cache::TextIndexProgress progress;
    ProgressBar bar(!args.output.no_progress, [&progress] {
        return ProgressLine{progress.done, progress.total,
                            std::to_string(progress.done.load()) + "/" + std::to_string(progress.total.load()) + " messages"};
    });
    auto report = cache::index_text(**cache, /*rebuild=*/true, progress);
    bar.stop();
    if (!report) return report_failure(report.error());
    if (args.output.json)
        std::cout << pipeline::json_text(pipeline::to_json(*report), 2) << "\n";
    else
        std::cout << "indexed " << report->indexed << " messages (" << report->unparsed
                  << " by their headers only: broken MIME or a limit; " << report->unreadable << " unreadable)\n";
    return report->unreadable ? 1 : 0;
}

int run_search_command(const ReviewArgs& args) {
    cache::SearchQuery q;
    q.match = args.query;
    q.folder = args.folder;
    q.from = args.from;
    q.limit = args.limit;
    q.order = args.sort == "relevance" ? cache::SearchQuery::Order::relevance
              : args.sort == "oldest"  ? cache::SearchQuery::Order::oldest
                                       : cache::SearchQuery::Order::newest;
    if (!args.since.empty()) {
        auto t = parse_day(args.since, "--since");
        if (!t) return report_failure(t.error());
        q.since = *t;
    }
    if (!args.before.empty()) {
        auto t = parse_day(args.before, "--before");
        if (!t) return report_failure(t.error());
        q.before = *t;
    }
    auto cache = cache::open_cache_reader(args.cache);
    if (!cache) return report_failure(cache.error());
    auto hits = (*cache)->search(q);
    if (!hits) return report_failure(hits.error());
    if (auto missing = (*cache)->messages_not_indexed(); missing && *missing > 0 && !q.match.empty())
        std::cerr << "warning: " << *missing << " message(s) are not in the full-text index yet and cannot be found; "
                  << "mailferry reindex " << args.cache << " adds them\n";
    if (args.output.json) {
        std::cout << pipeline::json_text(pipeline::to_json(*hits), 2) << "\n";
        return 0;
    }
    for (const auto& h : *hits) {
        std::cout << h.id << "  " << iso8601_utc(h.received).substr(0, 10) << "  " << h.folder << "  " << h.from
                  << "  " << h.subject << "\n";
        if (!h.snippet.empty()) std::cout << "      " << h.snippet << "\n";
    }
    std::cout << hits->size() << " message(s)" << (static_cast<int>(hits->size()) == q.limit ? " (--limit reached)" : "")
              << "\n";
    return 0;
}

int run_show_command(const ReviewArgs& args) {
    auto cache = cache::open_cache_reader(args.cache);
    if (!cache) return report_failure(cache.error());
    auto bytes = (*cache)->read_message(args.id);
    if (!bytes) return report_failure(bytes.error());
    if (args.raw) {
        std::cout.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
        return std::cout ? 0 : exit_code_for(ErrorKind::io);
    }
    if (!args.save_attachments.empty()) return show_attachments(args, args.cache, *bytes);
    std::string_view shown = *bytes;
    std::string text;
    if (args.headers) {
        shown = pipeline::header_section(*bytes);
    } else {
        text = pipeline::message_as_text(*bytes);
        shown = text;
    }
    std::cout.write(shown.data(), static_cast<std::streamsize>(shown.size()));
    return 0;
}

}  // namespace mailferry::cli
