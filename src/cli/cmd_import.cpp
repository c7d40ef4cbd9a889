// mailferry import CACHE PATH...: local mail files into the cache, through the
// fetch pipeline (docs/architecture.md §1: import is a file-format source into the cache).
// Each mbox file, Maildir tree and tree of message files is one source of the
// cache (kind mbox/maildir/eml, its absolute path); its messages get stable
// UIDs from the cache's UidAssigner, so importing the same files again adds
// nothing.
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cache/cache.hpp"
#include "pipeline/report_json.hpp"
#include "cli/connect.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "formats/detect_format.hpp"
#include "formats/eml/eml_source.hpp"
#include "formats/maildir/maildir_source.hpp"
#include "formats/mbox/mbox_source.hpp"
#include "pipeline/fetch.hpp"

namespace mailferry::cli {
namespace {

// Lines of each kind printed on a terminal; --json and the runs table get them all.
constexpr size_t kPrintedWarnings = 50;

struct SourceRun {
    formats::ImportUnit unit;
    pipeline::FetchReport report;
};

formats::Format format_of(const std::string& name) {
    if (name == "mbox") return formats::Format::mbox;
    if (name == "maildir") return formats::Format::maildir;
    if (name == "eml") return formats::Format::eml;
    return formats::Format::auto_detect;
}

std::unique_ptr<MailSource> make_source(const formats::ImportUnit& u, const formats::SourceContext& ctx,
                                        mbox::LabelMode labels, mbox::Variant variant, bool labels_in_any_file) {
    switch (u.format) {
    case formats::Format::maildir:
        return std::make_unique<maildir::MaildirSource>(maildir::MaildirSourceOptions{u.path, u.folder}, ctx);
    case formats::Format::eml:
        return std::make_unique<eml::EmlSource>(eml::EmlSourceOptions{u.path, u.folder}, ctx);
    case formats::Format::mbox:
    case formats::Format::auto_detect:
        break;
    }
    return std::make_unique<mbox::MboxSource>(mbox::MboxSourceOptions{u.path, u.folder, labels, labels_in_any_file, variant}, ctx);
}

Result<std::vector<formats::ImportUnit>> plan(const ImportArgs& args) {
    std::vector<formats::ImportUnit> units;
    for (const auto& path : args.paths) {
        auto found = formats::plan_import(path, format_of(args.format), args.folder);
        if (!found) return found.error();
        units.insert(units.end(), found->begin(), found->end());
    }
    return units;
}

struct Totals {
    uint64_t folders = 0, new_messages = 0, new_bytes = 0, flags_refreshed = 0, gone = 0, cached = 0;
    double seconds = 0;
};

Totals totals_of(const std::vector<SourceRun>& runs) {
    Totals t;
    for (const auto& r : runs) {
        t.folders += r.report.folders.size();
        t.new_messages += r.report.new_messages;
        t.new_bytes += r.report.new_bytes;
        t.flags_refreshed += r.report.flags_refreshed;
        t.gone += r.report.gone;
        t.cached = r.report.cached_messages;
        t.seconds += r.report.seconds;
    }
    return t;
}

nlohmann::json to_json(const std::vector<SourceRun>& runs, const std::vector<std::string>& errors,
                       const std::vector<std::string>& warnings, const std::optional<Error>& fatal,
                       const std::string& cache) {
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& r : runs) {
        nlohmann::json folders = nlohmann::json::array();
        for (const auto& f : r.report.folders) {
            folders.push_back({{"name", f.name}, {"role", f.role}, {"new_messages", f.new_messages},
                               {"new_bytes", f.new_bytes}, {"flags_refreshed", f.flags_refreshed}, {"gone", f.gone},
                               {"error", f.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.error)}});
        }
        sources.push_back({{"path", r.unit.path}, {"format", formats::format_name(r.unit.format)},
                           {"folders", folders}, {"new_messages", r.report.new_messages},
                           {"new_bytes", r.report.new_bytes}});
    }
    Totals t = totals_of(runs);
    return {{"command", "import"},
            {"cache", cache},
            {"ok", !fatal && errors.empty()},
            {"sources", sources},
            {"folders_imported", t.folders},
            {"new_messages", t.new_messages},
            {"new_bytes", t.new_bytes},
            {"flags_refreshed", t.flags_refreshed},
            {"gone", t.gone},
            {"cached_messages", t.cached},
            {"errors", errors},
            {"warnings", warnings},
            {"fatal", fatal ? nlohmann::json(fatal->describe()) : nlohmann::json(nullptr)},
            {"seconds", t.seconds}};
}

void print_summary(const std::vector<SourceRun>& runs, size_t errors, size_t warnings, const std::string& cache) {
    std::cout << "imported " << runs.size() << " source(s) into " << cache << "\n";
    for (const auto& r : runs) {
        std::cout << "  " << formats::format_name(r.unit.format) << "  " << r.unit.path << ": "
                  << r.report.new_messages << " new in " << r.report.folders.size() << " folder(s)\n";
    }
    Totals t = totals_of(runs);
    std::cout << "  messages  " << t.new_messages << " new (" << human_bytes(t.new_bytes) << "), "
              << t.flags_refreshed << " with new flags, " << t.gone << " gone from the source\n";
    if (errors || warnings)
        std::cout << "  problems  " << errors << " error(s), " << warnings << " warning(s) (on standard error)\n";
    std::cout << "  cache     " << t.cached << " messages\n";
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", t.seconds);
    std::cout << "  time      " << secs << " s\n";
}

// Input bytes while an mbox file is listed (the first of its two passes),
// then the bytes of the new messages.
ProgressLine sample(const formats::ReadProgress& read, const pipeline::FetchProgress& fetch,
                    const std::atomic<size_t>& unit, const std::vector<formats::ImportUnit>& units) {
    ProgressLine l;
    if (units.empty()) return l;
    size_t i = std::min(unit.load(), units.size() - 1);
    std::string name = units[i].path.substr(units[i].path.rfind('/') + 1);
    std::string where = std::to_string(i + 1) + "/" + std::to_string(units.size()) + " " + name;
    if (read.scanning) {
        l.done = read.scanned;
        l.total = read.scan_total;
        l.text = where + ": listing, " + human_bytes(l.done) + " read";
        return l;
    }
    l.done = fetch.bytes_done;
    l.total = fetch.bytes_planned;
    l.text = where + ": " + std::to_string(fetch.messages_done.load()) + "/" +
             std::to_string(fetch.messages_planned.load()) + " new messages, " + human_bytes(l.done);
    return l;
}

// One import: the sources run one after the other into one cache.
class Importer {
public:
    Importer(cache::Cache& cache, const std::vector<formats::ImportUnit>& units, mbox::LabelMode labels,
             mbox::Variant variant, bool index_text, bool labels_in_any_file)
        : cache_(cache), units_(units), labels_(labels), variant_(variant), index_text_(index_text),
          labels_in_any_file_(labels_in_any_file) {}

    ProgressLine progress_line() const { return sample(read_progress_, progress_, current_, units_); }

    // Returns false when the run must stop (a full disk, a bug).
    bool run(size_t i) {
        current_ = i;
        const formats::ImportUnit& unit = units_[i];
        const SourceKind kind = formats::source_kind_of(unit.format);
        auto source_id = cache_.ensure_source(kind, unit.path, "");
        if (!source_id) {
            fatal_ = source_id.error();
            return false;
        }
        formats::SourceContext ctx = context_for(*source_id);
        pipeline::SourceFactory open = [&unit, ctx, this]() -> Result<std::unique_ptr<MailSource>> {
            return make_source(unit, ctx, labels_, variant_, labels_in_any_file_);
        };
        pipeline::FetchOptions options;
        options.command = "import";
        options.source_kind = kind;
        options.server = unit.path;
        options.connections = 1;
        options.recover = i == 0;  // once per run, not once per source
        options.index_text = index_text_;
        auto report = pipeline::run_fetch(cache_, make_source(unit, ctx, labels_, variant_, labels_in_any_file_), open, options, progress_);
        if (!report) {
            Error e = report.error();
            e.in(unit.path);
            if (e.kind == ErrorKind::io || e.kind == ErrorKind::internal || e.kind == ErrorKind::usage) fatal_ = e;
            else run_errors_.push_back(e.describe());
            return !fatal_;
        }
        for (const auto& e : report->errors) run_errors_.push_back(unit.path + ": " + e);
        if (report->fatal) fatal_ = report->fatal;
        runs_.push_back({unit, std::move(*report)});
        return !fatal_;
    }

    // Prints the problems and the summary; returns the exit code.
    int finish(const ImportArgs& args) {
        std::vector<std::string> warnings = notes_.warnings();
        size_t noted = warnings.size();
        for (const auto& r : runs_)
            for (const auto& w : r.report.warnings) warnings.push_back(r.unit.path + ": " + w);
        std::vector<std::string> errors = notes_.errors();
        errors.insert(errors.end(), run_errors_.begin(), run_errors_.end());
        uint64_t error_count = notes_.error_count() + run_errors_.size();
        uint64_t warning_count = notes_.warning_count() + (warnings.size() - noted);

        for (size_t k = 0; k < warnings.size() && k < kPrintedWarnings; ++k)
            std::cerr << "warning: " << warnings[k] << "\n";
        if (warning_count > kPrintedWarnings)
            std::cerr << "warning: " << warning_count - kPrintedWarnings << " more warning(s) not shown (see --json)\n";
        for (const auto& e : errors) std::cerr << "error: " << e << "\n";
        if (error_count > errors.size())
            std::cerr << "error: " << error_count - errors.size() << " more error(s) not shown\n";

        if (args.output.json) std::cout << pipeline::json_text(to_json(runs_, errors, warnings, fatal_, args.cache), 2) << "\n";
        else print_summary(runs_, error_count, warning_count, args.cache);
        if (fatal_) return report_failure(*fatal_);
        return error_count ? 1 : 0;
    }

private:
    formats::SourceContext context_for(int64_t source_id) {
        formats::SourceContext ctx;
        cache::Cache* c = &cache_;
        ctx.assign_uids = [c, source_id](const std::string& folder, const std::vector<std::string>& keys) {
            return c->assign_source_uids(source_id, folder, keys);
        };
        ctx.notes = &notes_;
        ctx.progress = &read_progress_;
        return ctx;
    }

    cache::Cache& cache_;
    const std::vector<formats::ImportUnit>& units_;
    const mbox::LabelMode labels_;
    const mbox::Variant variant_;
    const bool index_text_;
    const bool labels_in_any_file_;
    formats::ImportNotes notes_;
    formats::ReadProgress read_progress_;
    pipeline::FetchProgress progress_;
    std::atomic<size_t> current_{0};
    std::vector<SourceRun> runs_;
    std::vector<std::string> run_errors_;
    std::optional<Error> fatal_;
};

}  // namespace

int run_import_command(const ImportArgs& args) {
    // Every path is looked at before the cache is touched: a usage error leaves it as it was.
    auto units = plan(args);
    if (!units) return report_failure(units.error());
    auto cache = cache::Cache::open(args.cache, cache::OpenMode::create_if_missing);
    if (!cache) return report_failure(cache.error());
    Importer importer(**cache, *units,
                      args.labels_as_folders == "copy" ? mbox::LabelMode::copy : mbox::LabelMode::first,
                      args.mbox_variant == "mboxrd"  ? mbox::Variant::mboxrd
                      : args.mbox_variant == "mboxo" ? mbox::Variant::mboxo
                                                     : mbox::Variant::auto_detect,
                      !args.no_index, args.labels_in_any_file);
    ProgressBar bar(!args.output.no_progress, [&importer] { return importer.progress_line(); });
    for (size_t i = 0; i < units->size(); ++i)
        if (!importer.run(i)) break;
    bar.stop();
    return importer.finish(args);
}

}  // namespace mailferry::cli
