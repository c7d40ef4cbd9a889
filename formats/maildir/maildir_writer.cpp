#include "formats/maildir/maildir_writer.hpp"
#include "core/failpoint.hpp"

#include <ctime>

#include "wrap/posix_file.hpp"
#include "formats/maildir/maildir_naming.hpp"

namespace mailferry::maildir {
namespace {

std::string join(const std::string& a, const std::string& b) {
    return a.empty() ? b : a + "/" + b;
}

}  // namespace

std::string folder_of(std::string_view rel) {
    size_t pos = rel.rfind('/');
    if (pos == std::string_view::npos) return "";
    size_t sub = rel.rfind('/', pos - 1);
    return sub == std::string_view::npos || pos == 0 ? "" : std::string(rel.substr(0, sub));
}

MaildirWriter::MaildirWriter(std::string root) : root_(std::move(root)) {}

MaildirWriter::MaildirWriter(wrap::DirectoryHandle root) : root_(root.path()), root_dir_(std::move(root)) {}

MaildirWriter::~MaildirWriter() { abort(); }

Result<const wrap::DirectoryHandle*> MaildirWriter::root_directory() {
    if (!root_dir_.valid()) {
        MF_TRY(wrap::make_directories(root_, 0700));
        auto opened = wrap::DirectoryHandle::open_following(root_);
        if (!opened) return opened.error();
        root_dir_ = std::move(*opened);
    }
    return &root_dir_;
}

Result<MaildirWriter::FolderDirectories*> MaildirWriter::folder(const std::string& dir, bool create) {
    if (auto it = folders_.find(dir); it != folders_.end()) return &it->second;
    auto root = root_directory();
    if (!root) return root.error();
    auto sub = [&](const wrap::DirectoryHandle& parent, const std::string& rel) -> Result<wrap::DirectoryHandle> {
        if (create) return parent.make_subdirectories(rel, 0700);
        auto found = parent.open_subdirectories(rel);
        if (!found) return found.error();
        if (!*found) return make_error(ErrorKind::io, Radius::fatal, parent.path_of(rel) + " is missing");
        return std::move(**found);
    };
    FolderDirectories f;
    auto made = sub(**root, dir);
    if (!made) return made.error();
    f.folder = std::move(*made);
    const std::pair<const char*, wrap::DirectoryHandle*> subdirectories[] = {
        {"cur", &f.cur}, {"new", &f.fresh}, {"tmp", &f.tmp}};
    for (const auto& [name, handle] : subdirectories) {
        auto d = sub(f.folder, name);
        if (!d) return d.error();
        *handle = std::move(*d);
    }
    return &folders_.emplace(dir, std::move(f)).first->second;
}

Status MaildirWriter::ensure_folder(const std::string& dir) {
    // Only the folders staged messages wait in stay open: descriptors are finite.
    std::set<std::string> staged_dirs;
    for (const auto& s : staged_) staged_dirs.insert(s.dir);
    std::erase_if(folders_, [&](const auto& f) { return f.first != dir && !staged_dirs.count(f.first); });
    auto f = folder(dir, true);
    if (!f) return f.error();
    if (dir.empty()) return {};
    auto marker = (*f)->folder.create_file("maildirfolder");
    if (!marker) return marker.error();
    if (marker->valid()) return {};
    auto type = (*f)->folder.entry_type("maildirfolder");
    if (!type) return type.error();
    if (*type != wrap::EntryType::regular)
        return wrap::unexpected_entry((*f)->folder.path_of("maildirfolder"), *type, "a regular file");
    return {};
}

Status MaildirWriter::stage(const std::string& dir, const std::string& base, std::string_view bytes,
                            int64_t received, const Flags& flags, std::string_view keyword_letters) {
    auto f = folder(dir, false);
    if (!f) return f.error();
    const wrap::DirectoryHandle& tmp = (*f)->tmp;
    auto file = tmp.create_unique_file(base);
    if (!file) return file.error();
    std::string path = tmp.path_of(file->name);
    Status written = wrap::write_all(file->fd.get(), bytes.data(), bytes.size(), path);
    if (written.ok()) written = wrap::set_mtime(file->fd.get(), received, path);
    if (!written.ok()) {
        (void)tmp.remove(file->name);
        return written;
    }
    // System flags are upper case, keyword letters lower case: ASCII order holds.
    staged_.push_back({dir, base, file->name, flags.maildir_letters() + std::string(keyword_letters)});
    staged_bytes_ += bytes.size();
    failpoint("maildir.staged");
    return {};
}

Result<std::vector<std::string>> MaildirWriter::commit() {
    std::vector<std::string> paths;
    if (staged_.empty()) return paths;
    // One syncfs makes the whole batch durable in tmp/ (the contract's first step).
    auto root = root_directory();
    if (!root) return root.error();
    MF_TRY((*root)->sync_filesystem());
    failpoint("maildir.before_rename");
    std::set<std::string> dirs;
    paths.reserve(staged_.size());
    for (const auto& s : staged_) {
        auto f = folder(s.dir, false);
        if (!f) return f.error();
        std::string name = s.base + ":2," + s.letters;
        MF_TRY((*f)->tmp.rename(s.tmp_name, (*f)->cur, name));
        dirs.insert(s.dir);
        paths.push_back(join(s.dir, "cur/" + name));
        failpoint("maildir.renamed");
    }
    staged_.clear();
    staged_bytes_ = 0;
    MF_TRY(sync_folders(dirs));
    failpoint("maildir.committed");
    return paths;
}

Status MaildirWriter::write_dovecot_keywords(const std::string& dir, const DovecotKeywords& keywords) {
    auto f = folder(dir, false);
    if (!f) return f.error();
    const wrap::DirectoryHandle& d = (*f)->folder;
    auto file = d.create_unique_file(std::string(DovecotKeywords::kFileName) + ".tmp");
    if (!file) return file.error();
    std::string temp = d.path_of(file->name);
    std::string text = keywords.serialize();
    Status written = wrap::write_all(file->fd.get(), text.data(), text.size(), temp);
    // Dovecot re-reads the file only when its mtime changed (maildir-keywords.c).
    int64_t mtime = static_cast<int64_t>(::time(nullptr));
    auto old = d.mtime_of(DovecotKeywords::kFileName);
    if (!old) written = Status(old.error());
    else if (*old && **old >= mtime) mtime = **old + 1;
    if (written.ok()) written = wrap::set_mtime(file->fd.get(), mtime, temp);
    if (written.ok()) written = wrap::fsync_fd(file->fd.get(), temp);
    // The rename replaces whatever holds the name, a link included, without following it.
    if (written.ok()) written = d.rename(file->name, d, DovecotKeywords::kFileName);
    if (!written.ok()) {
        (void)d.remove(file->name);
        return written;
    }
    return d.sync();
}

Result<DovecotKeywords> MaildirWriter::read_dovecot_keywords(const std::string& dir) {
    auto f = folder(dir, false);
    if (!f) return f.error();
    auto text = (*f)->folder.read_file(DovecotKeywords::kFileName);
    if (!text) return text.error();
    return DovecotKeywords::parse(text->value_or(""));
}

void MaildirWriter::abort() {
    for (const auto& s : staged_)
        if (auto it = folders_.find(s.dir); it != folders_.end()) (void)it->second.tmp.remove(s.tmp_name);
    staged_.clear();
    staged_bytes_ = 0;
}

Result<std::string> MaildirWriter::link_with_flags(const std::string& rel, const Flags& flags) {
    size_t slash = rel.rfind('/');
    std::string name = rel.substr(slash + 1);
    auto parsed = parse_file_name(name);
    // Messages Dovecot delivered to new/ move to cur/ once they have flags.
    std::string dir = folder_of(rel);
    std::string fresh = join(dir, "cur/" + file_name(parsed.base, flags));
    if (fresh == rel) return fresh;
    auto f = folder(dir, false);
    if (!f) return f.error();
    bool in_new = rel.compare(0, slash, join(dir, "new")) == 0;
    MF_TRY((in_new ? (*f)->fresh : (*f)->cur).link(name, (*f)->cur, fresh.substr(fresh.rfind('/') + 1)));
    return fresh;
}

Status MaildirWriter::sync_folders(const std::set<std::string>& dirs) {
    for (const auto& d : dirs) {
        auto f = folder(d, false);
        if (!f) return f.error();
        MF_TRY((*f)->cur.sync());
        MF_TRY((*f)->tmp.sync());
    }
    return {};
}

}  // namespace mailferry::maildir
