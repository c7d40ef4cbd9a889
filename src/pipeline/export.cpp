#include "pipeline/export.hpp"

#include <algorithm>
#include <chrono>

#include "formats/maildir/maildir_naming.hpp"
#include "pipeline/export_paths.hpp"
#include "pipeline/export_sink.hpp"
#include "pipeline/folder_filter.hpp"
#include "wrap/directory_handle.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::pipeline {
namespace {

Error usage(std::string text) { return make_error(ErrorKind::usage, Radius::fatal, std::move(text)); }

// Maildir: the folder's directory in the cache's own tree (unique there). The
// index is ours, but a path is checked before it is used (docs/architecture.md §8).
Result<std::string> maildir_path(const cache::FolderRecord& f) {
    const std::string& m = f.maildir;
    bool ok = m.empty() || (m.size() > 1 && m[0] == '.' && m != ".." && m.find('/') == std::string::npos);
    for (char c : m) ok = ok && static_cast<unsigned char>(c) >= 0x20 && c != 0x7F;
    if (!ok)
        return make_error(ErrorKind::invalid_data, Radius::folder, "the index holds a bad Maildir name for " + f.info.name);
    return m;
}

Result<std::string> path_for(const cache::FolderRecord& f, ExportFormat format, ExportPaths& paths) {
    auto levels = maildir::split_levels(f.info.name, f.info.delimiter);
    switch (format) {
        case ExportFormat::mboxrd:
        case ExportFormat::mboxo: return paths.folder_file(levels, ".mbox");
        case ExportFormat::eml: return paths.folder_directory(levels);
        case ExportFormat::maildir: return maildir_path(f);
    }
    return make_error(ErrorKind::internal, Radius::fatal, "unknown export format");
}

std::unique_ptr<ExportSink> make_sink(cache::CacheReader& cache, const ExportOptions& o, const ExportPaths& paths) {
    switch (o.format) {
        case ExportFormat::mboxrd: return make_mbox_sink(mbox::Variant::mboxrd, o.force);
        case ExportFormat::mboxo: return make_mbox_sink(mbox::Variant::mboxo, o.force);
        case ExportFormat::maildir: return make_maildir_sink(cache, o);
        case ExportFormat::eml: return make_eml_sink(o.force, paths);
    }
    return nullptr;
}

struct Planned {
    ExportFolder folder;
    int64_t messages = 0, bytes = 0;
};

Result<std::vector<Planned>> plan(cache::CacheReader& cache, const ExportOptions& o, ExportPaths& paths) {
    auto summaries = cache.folder_summaries();
    if (!summaries) return summaries.error();
    FolderFilter filter(o.include, o.exclude);
    std::vector<Planned> out;
    for (const auto& s : *summaries) {
        if (!filter.accepts(s.folder.info)) continue;
        if (!s.folder.info.selectable && s.messages == 0) continue;  // a hierarchy level, no mail
        auto path = path_for(s.folder, o.format, paths);
        if (!path) return path.error();
        out.push_back({{s.folder, *path}, s.messages, s.bytes});
    }
    if (out.empty() && !o.include.empty()) return usage("no cached folder matches --folder");
    return out;
}

// Nothing is replaced without force: every file that would be is found first.
// With force too, so that a link planted below DEST stops the export before
// anything is written.
Status check_existing(cache::CacheReader& cache, ExportSink& sink, const std::vector<Planned>& planned,
                      const ExportOptions& o) {
    auto dest = wrap::DirectoryHandle::open_if_present(o.dest);
    if (!dest) return dest.error();
    if (!*dest) return {};
    std::vector<std::string> existing;
    for (const auto& p : planned) MF_TRY(sink.find_existing(cache, **dest, p.folder, existing));
    if (o.force || existing.empty()) return {};
    size_t others = existing.size() - 1;
    std::string more = others == 0 ? ""
                       : " (and " + std::to_string(others) + (others == 1 ? " more file)" : " more files)");
    return usage(o.dest + "/" + existing.front() + " exists" + more +
                 ": nothing was exported; --force replaces existing files");
}

class FolderRun {
public:
    FolderRun(cache::CacheReader& cache, ExportSink& sink, ExportProgress& progress)
        : cache_(cache), sink_(sink), progress_(progress) {}

    // Folder-level results go into r; the Result is an error only when the export must stop.
    Status run(const ExportFolder& f, ExportFolderReport& r) {
        MF_TRY(sink_.begin_folder(f, r));
        MF_TRY(cache_.for_each_stored(f.record.id, [&](const cache::StoredMessage& m) { return one(f, m, r); }));
        return sink_.end_folder(r);
    }

private:
    Status one(const ExportFolder& f, const cache::StoredMessage& m, ExportFolderReport& r) {
        auto bytes = cache_.read_message(m);
        Status s = bytes ? sink_.add(m, *bytes, r) : Status(bytes.error());
        progress_.messages_done += 1;
        progress_.bytes_done += m.size;
        if (!s.ok()) {
            // A cached file that cannot be read costs that message; a write error stops the export.
            if (bytes && s.error().radius != Radius::message) return s;
            Error e = s.error();
            e.in("folder " + f.record.info.name + ", UID " + std::to_string(m.uid));
            r.errors.push_back(e.describe());
            return {};
        }
        ++r.messages;
        r.bytes += bytes->size();
        r.gone += m.gone;
        return {};
    }

    cache::CacheReader& cache_;
    ExportSink& sink_;
    ExportProgress& progress_;
};

void add_up(ExportReport& report, const ExportFolderReport& f) {
    report.messages += f.messages;
    report.bytes += f.bytes;
    report.gone += f.gone;
    report.newlines_added += f.newlines_added;
    report.escaped_lines += f.escaped_lines;
    report.replaced += f.replaced;
    report.errors.insert(report.errors.end(), f.errors.begin(), f.errors.end());
    report.warnings.insert(report.warnings.end(), f.warnings.begin(), f.warnings.end());
}

}  // namespace

std::optional<ExportFormat> parse_export_format(std::string_view name) {
    for (auto f : {ExportFormat::mboxrd, ExportFormat::mboxo, ExportFormat::maildir, ExportFormat::eml})
        if (name == export_format_name(f)) return f;
    return std::nullopt;
}

const char* export_format_name(ExportFormat format) {
    switch (format) {
        case ExportFormat::mboxrd: return "mboxrd";
        case ExportFormat::mboxo: return "mboxo";
        case ExportFormat::maildir: return "maildir";
        case ExportFormat::eml: return "eml";
    }
    return "?";
}

Result<ExportReport> run_export(cache::CacheReader& cache, const ExportOptions& o, ExportProgress& progress) {
    auto started = std::chrono::steady_clock::now();
    MF_TRY(check_output_directory(cache.dir(), o.dest, "the export directory"));
    ExportPaths paths;
    auto planned = plan(cache, o, paths);
    if (!planned) return planned.error();
    auto sink = make_sink(cache, o, paths);
    MF_TRY(check_existing(cache, *sink, *planned, o));

    ExportReport report;
    auto dest = open_output_directory(o.dest, report.warnings);
    if (!dest) return dest.error();
    MF_TRY(sink->start(std::move(*dest)));
    // No row in the cache's runs table: export opens the cache read-only, so
    // that it can run beside a fetch (cache.hpp); its report is its record.
    progress.folders_total = planned->size();
    for (const auto& p : *planned) {
        progress.messages_planned += static_cast<uint64_t>(p.messages);
        progress.bytes_planned += static_cast<uint64_t>(p.bytes);
    }
    FolderRun folder_run(cache, *sink, progress);
    for (const auto& p : *planned) {
        ExportFolderReport r;
        r.name = p.folder.record.info.name;
        r.path = p.folder.path.empty() ? "." : p.folder.path;
        Status s = folder_run.run(p.folder, r);
        add_up(report, r);
        report.folders.push_back(std::move(r));
        ++progress.folders_done;
        if (!s.ok()) {
            report.fatal = s.error();
            report.fatal->in("folder " + p.folder.record.info.name);
            break;
        }
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace mailferry::pipeline
