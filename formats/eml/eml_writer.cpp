#include "formats/eml/eml_writer.hpp"

#include <fcntl.h>

#include "wrap/posix_file.hpp"

namespace mailferry::eml {

Status EmlWriter::write(const std::string& dir, const std::string& name, std::string_view bytes,
                        int64_t received) {
    std::string path = dir + "/" + name;
    // O_NOFOLLOW: a symlink planted at the file's name (by anyone) never
    // redirects mail elsewhere, even with overwrite.
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | (overwrite_ ? O_TRUNC : O_EXCL);
    auto fd = wrap::open_file(path, flags, 0600);
    if (!fd) {
        if (!overwrite_ && wrap::exists(path))
            return make_error(ErrorKind::usage, Radius::fatal, path + " exists: not replaced");
        return fd.error();
    }
    MF_TRY(wrap::write_all(fd->get(), bytes.data(), bytes.size(), path));
    MF_TRY(wrap::set_mtime(fd->get(), received, path));
    dirty_dirs_.insert(dir);
    ++files_;
    return {};
}

Status EmlWriter::sync() {
    if (dirty_dirs_.empty()) return {};
    MF_TRY(wrap::sync_filesystem_of(*dirty_dirs_.begin()));
    for (const auto& d : dirty_dirs_) MF_TRY(wrap::fsync_directory(d));
    dirty_dirs_.clear();
    return {};
}

}  // namespace mailferry::eml
