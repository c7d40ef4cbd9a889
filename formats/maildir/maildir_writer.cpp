#include "formats/maildir/maildir_writer.hpp"
#include "mailferry/failpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>

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

MaildirWriter::~MaildirWriter() { abort(); }

Status MaildirWriter::ensure_folder(const std::string& dir) {
    std::string base = join(root_, dir);
    for (const char* sub : {"cur", "new", "tmp"}) {
        MF_TRY(wrap::make_directories(base + "/" + sub, 0700));
    }
    if (!dir.empty()) {
        std::string marker = base + "/maildirfolder";
        if (!wrap::exists(marker)) MF_TRY(wrap::write_file(marker, "", true));
    }
    return {};
}

Status MaildirWriter::stage(const std::string& dir, const std::string& base, std::string_view bytes,
                            int64_t received, const Flags& flags, std::string_view keyword_letters) {
    std::string path = join(root_, join(dir, "tmp/" + base));
    auto fd = wrap::open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!fd) return fd.error();
    Status written = wrap::write_all(fd->get(), bytes.data(), bytes.size(), path);
    if (written.ok()) written = wrap::set_mtime(fd->get(), received, path);
    if (!written.ok()) {
        (void)wrap::remove_file(path);
        return written;
    }
    // System flags are upper case, keyword letters lower case: ASCII order holds.
    staged_.push_back({dir, base, flags.maildir_letters() + std::string(keyword_letters)});
    staged_bytes_ += bytes.size();
    failpoint("maildir.staged");
    return {};
}

Result<std::vector<std::string>> MaildirWriter::commit() {
    std::vector<std::string> paths;
    if (staged_.empty()) return paths;
    // One syncfs makes the whole batch durable in tmp/ (the contract's first step).
    MF_TRY(wrap::sync_filesystem_of(root_));
    failpoint("maildir.before_rename");
    std::set<std::string> dirs;
    paths.reserve(staged_.size());
    for (const auto& s : staged_) {
        std::string rel = join(s.dir, "cur/" + s.base + ":2," + s.letters);
        MF_TRY(wrap::rename_path(join(root_, join(s.dir, "tmp/" + s.base)), join(root_, rel)));
        dirs.insert(s.dir);
        paths.push_back(std::move(rel));
        failpoint("maildir.renamed");
    }
    staged_.clear();
    staged_bytes_ = 0;
    MF_TRY(sync_folders(dirs));
    failpoint("maildir.committed");
    return paths;
}

Status MaildirWriter::write_dovecot_keywords(const std::string& dir, const DovecotKeywords& keywords) {
    std::string path = join(root_, join(dir, DovecotKeywords::kFileName));
    std::string temp = path + ".tmp";
    auto fd = wrap::open_file(temp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!fd) return fd.error();
    std::string text = keywords.serialize();
    Status written = wrap::write_all(fd->get(), text.data(), text.size(), temp);
    // Dovecot re-reads the file only when its mtime changed (maildir-keywords.c).
    int64_t mtime = static_cast<int64_t>(::time(nullptr));
    struct stat old;
    if (::stat(path.c_str(), &old) == 0 && old.st_mtime >= mtime) mtime = old.st_mtime + 1;
    if (written.ok()) written = wrap::set_mtime(fd->get(), mtime, temp);
    if (written.ok()) written = wrap::fsync_fd(fd->get(), temp);
    if (written.ok()) written = wrap::rename_path(temp, path);
    if (!written.ok()) {
        (void)wrap::remove_file(temp);
        return written;
    }
    return wrap::fsync_directory(join(root_, dir));
}

void MaildirWriter::abort() {
    for (const auto& s : staged_) (void)wrap::remove_file(join(root_, join(s.dir, "tmp/" + s.base)));
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
    MF_TRY(wrap::link_path(join(root_, rel), join(root_, fresh)));
    return fresh;
}

Status MaildirWriter::sync_folders(const std::set<std::string>& dirs) {
    for (const auto& d : dirs) {
        MF_TRY(wrap::fsync_directory(join(root_, join(d, "cur"))));
        MF_TRY(wrap::fsync_directory(join(root_, join(d, "tmp"))));
    }
    return {};
}

}  // namespace mailferry::maildir
