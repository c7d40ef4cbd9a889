#include "formats/eml/eml_writer.hpp"

namespace mailferry::eml {

Status EmlWriter::write_into(const wrap::UniqueFd& fd, const std::string& path, std::string_view bytes,
                             int64_t received) {
    MF_TRY(wrap::write_all(fd.get(), bytes.data(), bytes.size(), path));
    return wrap::set_mtime(fd.get(), received, path);
}

Result<bool> EmlWriter::write(const wrap::DirectoryHandle& dir, const std::string& name, std::string_view bytes,
                              int64_t received) {
    const std::string path = dir.path_of(name);
    auto type = dir.entry_type(name);
    if (!type) return type.error();
    if (*type != wrap::EntryType::none && *type != wrap::EntryType::regular)
        return wrap::unexpected_entry(path, *type, "a regular file");
    bool replacing = *type == wrap::EntryType::regular;
    if (replacing && !overwrite_) return make_error(ErrorKind::usage, Radius::fatal, path + " exists: not replaced");

    if (replacing) {
        // Hidden: EML names never start with '.'.
        auto temp = dir.create_unique_file("." + name + ".tmp");
        if (!temp) return temp.error();
        Status written = write_into(temp->fd, dir.path_of(temp->name), bytes, received);
        if (written) written = dir.rename(temp->name, dir, name);
        if (!written) {
            (void)dir.remove(temp->name);
            return written.error();
        }
    } else {
        auto fd = dir.create_file(name);
        if (!fd) return fd.error();
        if (!fd->valid()) {
            // Appeared since entry_type looked: whatever it is, it is not replaced.
            auto now = dir.entry_type(name);
            if (now && *now != wrap::EntryType::regular) return wrap::unexpected_entry(path, *now, "a regular file");
            return make_error(ErrorKind::usage, Radius::fatal, path + " exists: not replaced");
        }
        MF_TRY(write_into(*fd, path, bytes, received));
    }
    if (!dirty_dirs_.count(dir.path())) {
        auto held = dir.duplicate();
        if (!held) return held.error();
        dirty_dirs_.emplace(dir.path(), std::move(*held));
    }
    ++files_;
    return replacing;
}

Status EmlWriter::sync() {
    if (dirty_dirs_.empty()) return {};
    MF_TRY(dirty_dirs_.begin()->second.sync_filesystem());
    for (const auto& [path, dir] : dirty_dirs_) MF_TRY(dir.sync());
    dirty_dirs_.clear();
    return {};
}

}  // namespace mailferry::eml
