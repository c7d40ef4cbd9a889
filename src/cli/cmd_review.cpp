// Air-gapped review of a cache: mailferry reindex, search and show (text,
// headers, exact bytes, or the attachments saved as files). Nothing here
// touches the network.
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cache/cache.hpp"
#include "cache/message_file.hpp"
#include "cache/text_index.hpp"
#include "cache/text_search.hpp"
#include "cli/json_output.hpp"
#include "cli/connect.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "mailferry/clock.hpp"
#include "mime/attachments.hpp"
#include "mime/text_extract.hpp"
#include "pipeline/attachment_saver.hpp"
#include "pipeline/export_paths.hpp"
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

// The header section, as cached.
std::string_view header_section(std::string_view bytes) {
    size_t crlf = bytes.find("\r\n\r\n"), lf = bytes.find("\n\n");
    size_t end = std::min(crlf == std::string_view::npos ? bytes.size() : crlf + 4,
                          lf == std::string_view::npos ? bytes.size() : lf + 2);
    return bytes.substr(0, end);
}

// What show --save-attachments did, for its report.
struct SaveReport {
    std::vector<pipeline::SavedAttachment> saved;
    std::vector<std::string> warnings;
    std::optional<Error> failure;  // what stopped the saving (disk full...)
    mime::AttachmentScan scan;
};

// One line per file as it is saved. The name the message gave is not printed:
// it may hold bidi or other tricks for a terminal; --json has it.
void print_saved(const pipeline::SavedAttachment& s) {
    bool sanitised = !s.name.empty() && pipeline::safe_file_name(s.name) != s.name;
    std::cout << "saved " << s.file << "  " << s.bytes << " bytes  " << s.content_type
              << (sanitised ? "  (name sanitised: --json shows the one in the message)" : "")
              << (s.decoded ? "" : "  (still in its transfer encoding: not decoded here)") << "\n";
}

// Every attachment of message into dir. dir is made (0700) at the first
// attachment, so a message without any leaves no empty directory behind.
SaveReport save_attachments(std::string_view message, const std::string& dir, bool print) {
    SaveReport r;
    std::optional<pipeline::AttachmentSaver> saver;
    auto save_one = [&](const mime::Attachment& a) -> Status {
        if (!saver) {
            MF_TRY(pipeline::make_output_directory(dir, r.warnings));
            auto opened = pipeline::AttachmentSaver::open(dir);
            if (!opened) return opened.error();
            saver.emplace(std::move(*opened));
        }
        auto saved = saver->save(a);
        if (!saved) return saved.error();
        if (print) print_saved(*saved);
        r.saved.push_back(std::move(*saved));
        return {};
    };
    r.scan = mime::for_each_attachment(message, [&](const mime::Attachment& a) {
        Status ok = save_one(a);
        if (!ok) r.failure = ok.error();
        return ok.ok();
    });
    if (saver && !r.failure)
        if (Status synced = saver->finish(); !synced) r.failure = synced.error();
    return r;
}

int show_attachments(const ReviewArgs& args, const std::string& cache_dir, std::string_view message) {
    const std::string& dir = args.save_attachments;
    if (Status ok = pipeline::check_output_directory(cache_dir, dir, "the attachment directory"); !ok)
        return report_failure(ok.error());
    SaveReport r = save_attachments(message, dir, !args.output.json);
    uint64_t bytes = 0;
    for (const auto& s : r.saved) bytes += s.bytes;
    for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
    if (args.output.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& s : r.saved)
            list.push_back({{"file", s.file}, {"path", dir + "/" + s.file}, {"name", s.name},
                            {"content_type", s.content_type}, {"bytes", s.bytes}, {"decoded", s.decoded}});
        nlohmann::json j{{"command", "show"}, {"id", args.id}, {"directory", dir}, {"attachments", list},
                         {"saved", r.saved.size()}, {"bytes", bytes}, {"complete", r.scan.parsed}};
        if (!r.scan.parsed) j["problem"] = r.scan.problem;
        if (r.failure) j["error"] = r.failure->describe();
        std::cout << json_text(j, 2) << "\n";
    } else if (r.saved.empty() && !r.failure) {
        std::cout << "no attachments in message " << args.id << "\n";
    } else {
        std::cout << r.saved.size() << " attachment(s) saved in " << dir << ", " << bytes << " bytes\n";
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
        std::cout << json_text(nlohmann::json{{"command", "reindex"}, {"indexed", report->indexed},
                                    {"unparsed", report->unparsed}, {"unreadable", report->unreadable}}, 2)
                  << "\n";
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
    auto cache = cache::Cache::open(args.cache, cache::OpenMode::read_only);
    if (!cache) return report_failure(cache.error());
    auto hits = cache::search(**cache, q);
    if (!hits) return report_failure(hits.error());
    if (auto missing = cache::messages_not_indexed(**cache); missing && *missing > 0 && !q.match.empty())
        std::cerr << "warning: " << *missing << " message(s) are not in the full-text index yet and cannot be found; "
                  << "mailferry reindex " << args.cache << " adds them\n";
    if (args.output.json) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& h : *hits)
            a.push_back({{"id", h.id}, {"date", iso8601_utc(h.received)}, {"folder", h.folder}, {"from", h.from},
                         {"subject", h.subject}, {"snippet", h.snippet}});
        std::cout << json_text(a, 2) << "\n";
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
    auto cache = cache::Cache::open(args.cache, cache::OpenMode::read_only);
    if (!cache) return report_failure(cache.error());
    auto file = (*cache)->message_file(args.id);
    if (!file) return report_failure(file.error());
    auto bytes = cache::read_message_file(**cache, file->path, file->compressed);
    if (!bytes) return report_failure(bytes.error());
    if (args.raw) {
        std::cout.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
        return std::cout ? 0 : exit_code_for(ErrorKind::io);
    }
    if (!args.save_attachments.empty()) return show_attachments(args, args.cache, *bytes);
    if (args.headers) {
        std::string_view h = header_section(*bytes);
        std::cout.write(h.data(), static_cast<std::streamsize>(h.size()));
        return 0;
    }
    mime::ExtractedText t = mime::extract_text(*bytes);
    std::cout << "From:    " << t.from << "\nTo:      " << t.to << "\n";
    if (!t.cc.empty()) std::cout << "Cc:      " << t.cc << "\n";
    std::cout << "Date:    " << t.date << "\nSubject: " << t.subject << "\n";
    for (const auto& a : t.attachment_names) std::cout << "Attachment: " << a << "\n";
    if (!t.parsed) std::cout << "Note: " << t.problem << "\n";
    std::cout << "\n" << t.body;
    if (!t.body.empty() && t.body.back() != '\n') std::cout << "\n";
    return 0;
}

}  // namespace mailferry::cli
