// Export as a Maildir++ tree, written by formats/maildir's MaildirWriter (the
// writer the cache itself uses): the same folder directories and file names
// as the cache's mail/ tree, so DEST is what the cache's mail/ would be with
// only the exported folders, and keywords as Dovecot keeps them (the cache
// keeps them in its index only): a dovecot-keywords file per folder, letters
// in the file names. The writer works below DEST's handle; what this sink
// reads and removes itself (cur/, new/) it reaches through handles too.
#include <algorithm>
#include <map>
#include <optional>

#include "formats/maildir/dovecot_keywords.hpp"
#include "formats/maildir/maildir_naming.hpp"
#include "formats/maildir/maildir_writer.hpp"
#include "pipeline/export_sink.hpp"
#include "wrap/directory_handle.hpp"

namespace mailferry::pipeline {
namespace {

std::string join(const std::string& dir, const std::string& rest) { return dir.empty() ? rest : dir + "/" + rest; }

// A message file found in a folder's cur/ or new/.
struct FoundFile {
    std::string sub, name;  // "cur" or "new", the file's name
};

// A folder's cur/ and new/, those that exist.
struct MessageDirectories {
    std::optional<wrap::DirectoryHandle> cur, fresh;
    const std::optional<wrap::DirectoryHandle>& of(const std::string& sub) const { return sub == "cur" ? cur : fresh; }
};

Result<MessageDirectories> open_message_directories(const wrap::DirectoryHandle& folder) {
    MessageDirectories out;
    auto cur = folder.open_subdirectory("cur");
    if (!cur) return cur.error();
    auto fresh = folder.open_subdirectory("new");
    if (!fresh) return fresh.error();
    out.cur = std::move(*cur);
    out.fresh = std::move(*fresh);
    return out;
}

// Message files already in the folder, by base name.
Result<std::map<std::string, std::vector<FoundFile>>> scan(const MessageDirectories& dirs) {
    std::map<std::string, std::vector<FoundFile>> out;
    for (const char* sub : {"cur", "new"}) {
        const auto& dir = dirs.of(sub);
        if (!dir) continue;
        auto names = dir->entries();
        if (!names) return names.error();
        for (auto& name : *names) out[maildir::parse_file_name(name).base].push_back({sub, std::move(name)});
    }
    return out;
}

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
    MaildirSink(cache::CacheReader& cache, const ExportOptions& o) : cache_(cache), options_(o) {}

    Status find_existing(cache::CacheReader& cache, const wrap::DirectoryHandle& dest, const ExportFolder& folder,
                         std::vector<std::string>& existing) override {
        auto dir = dest.open_subdirectories(folder.path);
        if (!dir) return dir.error();
        if (!*dir) return {};
        auto dirs = open_message_directories(**dir);
        if (!dirs) return dirs.error();
        auto present = scan(*dirs);
        if (!present) return present.error();
        if (present->empty()) return {};
        return cache.for_each_stored(folder.record.id, [&](const cache::StoredMessage& m) -> Status {
            auto it = present->find(base_name(m));
            if (it == present->end()) return {};
            for (const auto& f : it->second) {
                // The commit renames over such a name: a link there is refused, not replaced.
                const wrap::DirectoryHandle& sub = *dirs->of(f.sub);
                auto type = sub.entry_type(f.name);
                if (!type) return type.error();
                if (*type != wrap::EntryType::regular && *type != wrap::EntryType::none)
                    return wrap::unexpected_entry(sub.path_of(f.name), *type, "a regular file");
                existing.push_back(rel_of(folder.path, f));
            }
            return {};
        });
    }

    Status start(wrap::DirectoryHandle dest) override {
        auto held = dest.duplicate();
        if (!held) return held.error();
        writer_.emplace(std::move(*held));
        dest_ = std::move(dest);
        return {};
    }

    Status begin_folder(const ExportFolder& folder, ExportFolderReport& report) override {
        dir_ = folder.path;
        MF_TRY(writer_->ensure_folder(dir_));
        auto dir = dest_.open_subdirectories(dir_);
        if (!dir) return dir.error();
        if (!*dir) return make_error(ErrorKind::io, Radius::fatal, dest_.path_of(dir_) + " vanished");
        auto dirs = open_message_directories(**dir);
        if (!dirs) return dirs.error();
        dirs_ = std::move(*dirs);
        auto present = scan(dirs_);
        if (!present) return present.error();
        present_ = std::move(*present);
        return prepare_keywords(folder, report);
    }

    Status add(const cache::StoredMessage& m, std::string_view bytes, ExportFolderReport& report) override {
        std::string base = base_name(m);
        if (!options_.force && present_.count(base)) {
            // find_existing saw none: the file appeared since. Still never replaced.
            return make_error(ErrorKind::usage, Radius::fatal,
                              dest_.path_of(rel_of(dir_, present_[base].front())) + " exists: not replaced");
        }
        MF_TRY(writer_->stage(dir_, base, bytes, m.received, m.flags, keywords_.letters(m.flags)));
        staged_.push_back(base);
        if (writer_->staged_bytes() >= options_.batch_bytes || writer_->staged_count() >= options_.batch_messages)
            return commit(report);
        return {};
    }

    Status end_folder(ExportFolderReport& report) override { return commit(report); }

private:
    static std::string rel_of(const std::string& dir, const FoundFile& f) { return join(dir, f.sub + "/" + f.name); }

    // Before the folder's first message: the keywords its messages use get
    // letters, and dovecot-keywords is durable before any file names them.
    Status prepare_keywords(const ExportFolder& folder, ExportFolderReport& report) {
        std::map<std::string, size_t> uses;
        MF_TRY(cache_.for_each_stored(folder.record.id, [&](const cache::StoredMessage& m) -> Status {
            for (const auto& k : m.flags.keywords) ++uses[k];
            return {};
        }));
        std::vector<std::string> without;
        auto existing = writer_->read_dovecot_keywords(dir_);
        if (!existing) return existing.error();
        keywords_ = assign_letters(std::move(*existing), uses, without);
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
        return writer_->write_dovecot_keywords(dir_, keywords_);
    }

    // Durable in cur/ first; only then is the message's old file (other flags) removed.
    Status commit(ExportFolderReport& report) {
        auto paths = writer_->commit();
        if (!paths) return paths.error();
        bool removed = false;
        for (size_t i = 0; i < paths->size(); ++i) {
            auto it = present_.find(staged_[i]);
            if (it == present_.end()) continue;
            ++report.replaced;
            for (const auto& old : it->second) {
                if (rel_of(dir_, old) == (*paths)[i]) continue;  // the rename replaced it
                MF_TRY(dirs_.of(old.sub)->remove(old.name));
                removed = true;
            }
            present_.erase(it);
        }
        staged_.clear();
        if (!removed) return {};
        MF_TRY(dirs_.cur->sync());
        return dirs_.fresh->sync();
    }

    cache::CacheReader& cache_;
    const ExportOptions& options_;
    wrap::DirectoryHandle dest_;
    std::optional<maildir::MaildirWriter> writer_;  // made by start(), on a handle of DEST
    std::string dir_;                                // the current folder, relative to DEST
    MessageDirectories dirs_;                        // its cur/ and new/
    maildir::DovecotKeywords keywords_;              // the folder's letters
    std::map<std::string, std::vector<FoundFile>> present_;
    std::vector<std::string> staged_;  // base names, in staging order
};

}  // namespace

std::unique_ptr<ExportSink> make_maildir_sink(cache::CacheReader& cache, const ExportOptions& options) {
    return std::make_unique<MaildirSink>(cache, options);
}

}  // namespace mailferry::pipeline
