#include "wrap/file_output.hpp"

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailferry::wrap {
namespace {

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

FileOutput::FileOutput(FileOutput&& o) noexcept { *this = std::move(o); }

FileOutput& FileOutput::operator=(FileOutput&& o) noexcept {
    if (this != &o) {
        if (fd_.valid()) (void)flush();
        path_ = std::move(o.path_);
        dir_ = std::move(o.dir_);
        name_ = std::move(o.name_);
        temp_name_ = std::move(o.temp_name_);
        fd_ = std::move(o.fd_);
        created_ = o.created_;
        buf_ = std::move(o.buf_);
        cap_ = o.cap_;
        len_ = o.len_;
        size_ = o.size_;
        tail_ = std::move(o.tail_);
        o.cap_ = o.len_ = 0;
    }
    return *this;
}

FileOutput::~FileOutput() {
    if (!fd_.valid()) return;
    (void)flush();
    // Never completed: the file it was to replace stays as it was.
    if (!temp_name_.empty()) (void)dir_.remove(temp_name_);
}

Result<FileOutput> FileOutput::open(const std::string& path, Mode mode, size_t buffer_size) {
    FileOutput out;
    out.path_ = path;
    int flags = O_WRONLY | O_CREAT;
    if (mode == Mode::create_new) flags |= O_EXCL;
    if (mode == Mode::overwrite) flags |= O_TRUNC;
    if (mode == Mode::append) flags |= O_APPEND;
    out.created_ = mode == Mode::create_new || !exists(path);
    auto fd = open_file(path, flags, 0600);
    if (!fd) return fd.error();
    out.fd_ = std::move(*fd);
    struct stat st;
    if (::fstat(out.fd_.get(), &st) != 0) return errno_error("cannot stat", path);
    out.size_ = static_cast<uint64_t>(st.st_size);
    if (mode == Mode::append && out.size_ > 0) {
        auto rd = open_file(path, O_RDONLY);
        if (!rd) return rd.error();
        char tail[4];
        size_t want = out.size_ >= 4 ? 4 : static_cast<size_t>(out.size_);
        ssize_t n = ::pread(rd->get(), tail, want, static_cast<off_t>(out.size_ - want));
        if (n < 0) return errno_error("cannot read", path);
        out.tail_.assign(tail, static_cast<size_t>(n));
    }
    out.cap_ = buffer_size > 0 ? buffer_size : 1;
    out.buf_ = std::make_unique_for_overwrite<char[]>(out.cap_);
    return out;
}

Result<FileOutput> FileOutput::create_in(const DirectoryHandle& dir, const std::string& name, Mode mode,
                                         size_t buffer_size) {
    if (mode == Mode::append)
        return make_error(ErrorKind::internal, Radius::fatal, "append through a directory handle: " + dir.path_of(name));
    FileOutput out;
    out.path_ = dir.path_of(name);
    out.name_ = name;
    out.created_ = true;
    auto held = dir.duplicate();
    if (!held) return held.error();
    out.dir_ = std::move(*held);
    if (mode == Mode::overwrite) {
        // Hidden: the names handed out for files never start with '.'.
        auto temp = dir.create_unique_file("." + name + ".tmp");
        if (!temp) return temp.error();
        out.fd_ = std::move(temp->fd);
        out.temp_name_ = std::move(temp->name);
    } else {
        auto fd = dir.create_file(name);
        if (!fd) return fd.error();
        if (!fd->valid()) {
            auto type = dir.entry_type(name);
            if (!type) return type.error();
            if (*type != EntryType::regular) return unexpected_entry(out.path_, *type, "a regular file");
            return make_error(ErrorKind::usage, Radius::fatal, out.path_ + " exists: not replaced");
        }
        out.fd_ = std::move(*fd);
    }
    out.cap_ = buffer_size > 0 ? buffer_size : 1;
    out.buf_ = std::make_unique_for_overwrite<char[]>(out.cap_);
    return out;
}

Status FileOutput::write(std::string_view bytes) {
    if (!fd_.valid()) return make_error(ErrorKind::internal, Radius::fatal, "write to closed file " + path_);
    size_ += bytes.size();
    if (len_ + bytes.size() <= cap_) {
        std::memcpy(buf_.get() + len_, bytes.data(), bytes.size());
        len_ += bytes.size();
        return {};
    }
    MF_TRY(flush());
    // A block at least as big as the buffer goes straight to the kernel.
    if (bytes.size() >= cap_) return write_all(fd_.get(), bytes.data(), bytes.size(), path_);
    std::memcpy(buf_.get(), bytes.data(), bytes.size());
    len_ = bytes.size();
    return {};
}

Status FileOutput::flush() {
    if (len_ == 0) return {};
    size_t n = len_;
    len_ = 0;
    return write_all(fd_.get(), buf_.get(), n, path_);
}

Status FileOutput::close() {
    if (!fd_.valid()) return {};
    Status st = flush();
    if (st.ok()) st = fsync_fd(fd_.get(), path_);
    UniqueFd closing = std::move(fd_);
    if (::close(closing.release()) != 0 && st.ok()) st = errno_error("cannot close", path_);
    if (!temp_name_.empty()) {
        if (st.ok()) st = dir_.rename(temp_name_, dir_, name_);
        if (!st.ok()) (void)dir_.remove(temp_name_);
        temp_name_.clear();
    }
    if (st.ok() && created_) st = sync_directory();
    return st;
}

Status FileOutput::sync_directory() {
    if (dir_.valid()) return dir_.sync();
    return fsync_directory(parent_of(path_));
}

}  // namespace mailferry::wrap
