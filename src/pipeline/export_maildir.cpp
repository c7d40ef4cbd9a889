// Export as a Maildir++ tree, written by formats/maildir's MaildirWriter (the
// writer the cache itself uses): the same folder directories and file names
// as the cache's mail/ tree, so DEST is what the cache's mail/ would be with
// only the exported folders, and keywords as Dovecot keeps them (the cache
// keeps them in its index only): a dovecot-keywords file per folder, letters
// in the file names.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "formats/maildir/dovecot_keywords.hpp"
#include "formats/maildir/maildir_naming.hpp"
#include "formats/maildir/maildir_writer.hpp"
#include "pipeline/export_sink.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::pipeline {
namespace {

namespace fs = std::filesystem;

std::string join(const std::string& dir, const std::string& rest) { return dir.empty() ? rest : dir + "/" + rest; }

// The message's file name without its flags: the cache's own, so that a
// message keeps its identity (mailferry's names carry UIDVALIDITY and UID).
// A name the index should never hold falls back to a fresh one.
std::string base_name(const cache::StoredMessage& m) {
    std::string file = m.path.substr(m.path.rfind('/') + 1);
    std::string base = maildir::parse_file_name(file).base;
    if (base.empty() || base[0] == '.' || base.find('/') != std::string::npos)
        return maildir::imap_base_name(m.received, m.uidvalidity, m.uid, m.size);
    return base;
}

// The letters a folder's keywords get: those DEST's dovecot-keywords already
// gives keep theirs (files there use them); the others take the free ones, the
// keywords of most messages first, then by name, so that what does not fit
// into Dovecot's 26 is what the fewest messages lose.
maildir::DovecotKeywords assign_letters(maildir::DovecotKeywords table, const std::map<std::string, size_t>& uses,
                                        std::vector<std::string>& without) {
    std::vector<std::pair<std::string, size_t>> order(uses.begin(), uses.end());
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [keyword, count] : order)
        if (!table.assign(keyword)) without.push_back(keyword);
    return table;
}

std::string warning_for(const std::string& folder, const std::vector<std::string>& without, size_t messages) {
    std::string names;
    for (const auto& k : without) names += (names.empty() ? "" : ", ") + k;
    return folder + ": " + std::to_string(without.size()) + (without.size() == 1 ? " keyword" : " keywords") +
           " without a Maildir letter (Dovecot's dovecot-keywords holds " +
           std::to_string(maildir::DovecotKeywords::kMaxKeywords) + " per folder), exported without it on " +
           std::to_string(messages) + (messages == 1 ? " message" : " messages") + ": " + names +
           "; the cache keeps them";
}

class MaildirSink : public ExportSink {
public:
    MaildirSink(cache::Cache& cache, std::string dest, const ExportOptions& o)
        : cache_(cache), dest_(std::move(dest)), options_(o), writer_(dest_) {}

    Status find_existing(cache::Cache& cache, const ExportFolder& folder, std::vector<std::string>& existing) override {
        auto present = scan(folder.path);
        if (present.empty()) return {};
        return cache.for_each_stored(folder.record.id, [&](const cache::StoredMessage& m) -> Status {
            auto it = present.find(base_name(m));
            if (it != present.end())
                for (const auto& rel : it->second) existing.push_back(rel);
            return {};
        });
    }

    Status begin_folder(const ExportFolder& folder, ExportFolderReport& report) override {
        dir_ = folder.path;
        MF_TRY(writer_.ensure_folder(dir_));
        present_ = scan(dir_);
        return prepare_keywords(folder, report);
    }

    Status add(const cache::StoredMessage& m, std::string_view bytes, ExportFolderReport& report) override {
        std::string base = base_name(m);
        if (!options_.force && present_.count(base)) {
            // find_existing saw none: the file appeared since. Still never replaced.
            return make_error(ErrorKind::usage, Radius::fatal,
                              dest_ + "/" + present_[base].front() + " exists: not replaced");
        }
        MF_TRY(writer_.stage(dir_, base, bytes, m.received, m.flags, keywords_.letters(m.flags)));
        staged_.push_back(base);
        if (writer_.staged_bytes() >= options_.batch_bytes || writer_.staged_count() >= options_.batch_messages)
            return commit(report);
        return {};
    }

    Status end_folder(ExportFolderReport& report) override { return commit(report); }

private:
    // Before the folder's first message: the keywords its messages use get
    // letters, and dovecot-keywords is durable before any file names them.
    Status prepare_keywords(const ExportFolder& folder, ExportFolderReport& report) {
        std::map<std::string, size_t> uses;
        MF_TRY(cache_.for_each_stored(folder.record.id, [&](const cache::StoredMessage& m) -> Status {
            for (const auto& k : m.flags.keywords) ++uses[k];
            return {};
        }));
        std::vector<std::string> without;
        keywords_ = assign_letters(existing_keywords(), uses, without);
        if (!without.empty()) {
            size_t messages = 0;
            MF_TRY(cache_.for_each_stored(folder.record.id, [&](const cache::StoredMessage& m) -> Status {
                std::vector<std::string> lost;
                (void)keywords_.letters(m.flags, &lost);
                messages += !lost.empty();
                return {};
            }));
            report.warnings.push_back(warning_for(folder.record.info.name, without, messages));
        }
        if (!keywords_.changed()) return {};
        return writer_.write_dovecot_keywords(dir_, keywords_);
    }

    maildir::DovecotKeywords existing_keywords() const {
        std::ifstream in(join(dest_, join(dir_, maildir::DovecotKeywords::kFileName)), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return maildir::DovecotKeywords::parse(text.str());
    }

    // Message files already in the folder (cur/ and new/), by base name, relative to DEST.
    std::map<std::string, std::vector<std::string>> scan(const std::string& dir) const {
        std::map<std::string, std::vector<std::string>> out;
        for (const char* sub : {"cur", "new"}) {
            std::error_code ec;
            for (fs::directory_iterator it(join(dest_, join(dir, sub)), ec), end; !ec && it != end; it.increment(ec)) {
                std::string name = it->path().filename().string();
                out[maildir::parse_file_name(name).base].push_back(join(dir, std::string(sub) + "/" + name));
            }
        }
        return out;
    }

    // Durable in cur/ first; only then is the message's old file (other flags) removed.
    Status commit(ExportFolderReport& report) {
        auto paths = writer_.commit();
        if (!paths) return paths.error();
        bool removed = false;
        for (size_t i = 0; i < paths->size(); ++i) {
            auto it = present_.find(staged_[i]);
            if (it == present_.end()) continue;
            ++report.replaced;
            for (const auto& old : it->second) {
                if (old == (*paths)[i]) continue;  // the rename replaced it
                MF_TRY(wrap::remove_file(join(dest_, old)));
                removed = true;
            }
            present_.erase(it);
        }
        staged_.clear();
        if (!removed) return {};
        MF_TRY(wrap::fsync_directory(join(dest_, join(dir_, "cur"))));
        return wrap::fsync_directory(join(dest_, join(dir_, "new")));
    }

    cache::Cache& cache_;
    std::string dest_;
    const ExportOptions& options_;
    maildir::MaildirWriter writer_;
    std::string dir_;
    maildir::DovecotKeywords keywords_;  // the folder's letters
    std::map<std::string, std::vector<std::string>> present_;
    std::vector<std::string> staged_;  // base names, in staging order
};

}  // namespace

std::unique_ptr<ExportSink> make_maildir_sink(cache::Cache& cache, const std::string& dest, const ExportOptions& options) {
    return std::make_unique<MaildirSink>(cache, dest, options);
}

}  // namespace mailferry::pipeline
