// mailferry export CACHE DEST --format F: the cache into mbox files, a Maildir++ tree or EML files.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "mailferry/cache_reader.hpp"
#include "pipeline/report_json.hpp"
#include "cli/connect.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "pipeline/export.hpp"

namespace mailferry::cli {
namespace {


void print_summary(const pipeline::ExportReport& r, const ExportArgs& args) {
    std::cout << "exported " << args.cache << " to " << args.dest << " (" << args.format << ")\n"
              << "  folders   " << r.folders.size() << "\n"
              << "  messages  " << r.messages << " (" << human_bytes(r.bytes) << "), " << r.gone
              << " of them gone from the source";
    if (!r.errors.empty()) std::cout << ", " << r.errors.size() << " not exported";
    std::cout << "\n";
    if (r.newlines_added)
        std::cout << "  repaired  " << r.newlines_added << " messages without a final line break got one (mbox)\n";
    if (r.replaced) std::cout << "  replaced  " << r.replaced << " existing files (--force)\n";
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", r.seconds);
    std::cout << "  time      " << secs << " s\n";
}

}  // namespace

int run_export_command(const ExportArgs& args) {
    auto format = pipeline::parse_export_format(args.format);
    if (!format) return report_failure(make_error(ErrorKind::usage, Radius::fatal, "unknown format " + args.format));
    auto cache = cache::open_cache_reader(args.cache);
    if (!cache) return report_failure(cache.error());

    pipeline::ExportOptions options;
    options.dest = args.dest;
    options.format = *format;
    options.include = args.include;
    options.exclude = args.exclude;
    options.force = args.force;
    pipeline::ExportProgress progress;
    ProgressBar bar(!args.output.no_progress, [&progress] { return transfer_progress_line(progress); });
    auto report = pipeline::run_export(**cache, options, progress);
    bar.stop();
    if (!report) return report_failure(report.error());

    Warnings warnings;
    for (const auto& w : report->warnings) warnings("warning: " + w);
    for (const auto& e : report->errors) std::cerr << "error: " << e << "\n";
    if (args.output.json) {
        nlohmann::json j = pipeline::to_json(*report);
        j["cache"] = args.cache;
        j["dest"] = args.dest;
        j["format"] = args.format;
        std::cout << pipeline::json_text(j, 2) << "\n";
    }
    else print_summary(*report, args);
    if (report->fatal) return report_failure(*report->fatal);
    return report->errors.empty() ? 0 : 1;
}

}  // namespace mailferry::cli
