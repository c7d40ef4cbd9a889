#include "wrap/posix_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailferry::wrap {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.release();
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
}

Error errno_error(std::string_view what, const std::string& path) {
    int e = errno;
    std::string text = std::string(what) + " " + path + ": " + std::strerror(e);
    if (e == ENOSPC || e == EDQUOT) text += " (the disk is full)";
    Error err = make_error(ErrorKind::io, Radius::fatal, std::move(text));
    return err;
}

Result<UniqueFd> open_file(const std::string& path, int flags, unsigned mode) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) return errno_error("cannot open", path);
    return UniqueFd(fd);
}

Result<UniqueFd> open_directory(const std::string& path) {
    return open_file(path, O_RDONLY | O_DIRECTORY);
}

Status write_all(int fd, const void* data, size_t size, const std::string& path) {
    auto p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("cannot write", path);
        }
        p += n;
        size -= static_cast<size_t>(n);
    }
    return {};
}

Status write_file(const std::string& path, std::string_view bytes, bool overwrite) {
    auto fd = open_file(path, O_WRONLY | O_CREAT | (overwrite ? O_TRUNC : O_EXCL));
    if (!fd) return fd.error();
    return write_all(fd->get(), bytes.data(), bytes.size(), path);
}

Result<std::string> read_file(const std::string& path) {
    auto fd = open_file(path, O_RDONLY);
    if (!fd) return fd.error();
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd->get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("cannot read", path);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Status set_mtime(int fd, int64_t epoch_seconds, const std::string& path) {
    struct timespec times[2];
    times[0].tv_sec = static_cast<time_t>(epoch_seconds);
    times[0].tv_nsec = 0;
    times[1] = times[0];
    if (::futimens(fd, times) != 0) return errno_error("cannot set the time of", path);
    return {};
}

Status fsync_fd(int fd, const std::string& path) {
    if (::fsync(fd) != 0) return errno_error("cannot sync", path);
    return {};
}

Status fsync_directory(const std::string& path) {
    auto fd = open_directory(path);
    if (!fd) return fd.error();
    return fsync_fd(fd->get(), path);
}

Status sync_filesystem_of(const std::string& path) {
    auto fd = open_directory(path);
    if (!fd) return fd.error();
    if (::syncfs(fd->get()) != 0) return errno_error("cannot sync the file system of", path);
    return {};
}

Status rename_path(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) return errno_error("cannot rename", from);
    return {};
}

Status link_path(const std::string& from, const std::string& to) {
    if (::link(from.c_str(), to.c_str()) != 0 && errno != EEXIST)
        return errno_error("cannot link", from);
    return {};
}

Status remove_file(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("cannot remove", path);
    return {};
}

Result<UniqueFd> create_new_file_in(const UniqueFd& dir, const std::string& name, const std::string& path) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos)
        return make_error(ErrorKind::internal, Radius::fatal, "not a file name: " + path);
    int fd = ::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) return UniqueFd();
    if (fd < 0) return errno_error("cannot create", path);
    return UniqueFd(fd);
}

Status remove_file_in(const UniqueFd& dir, const std::string& name, const std::string& path) {
    if (::unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT) return errno_error("cannot remove", path);
    return {};
}

Status make_directories(const std::string& path, unsigned mode) {
    if (path.empty()) return {};
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        std::string prefix = path.substr(0, pos);
        if (prefix.empty()) continue;
        if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST)
            return errno_error("cannot create directory", prefix);
    }
    return {};
}

bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

Result<UniqueFd> lock_exclusive(const std::string& path, bool wait) {
    auto fd = open_file(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (!fd) return fd.error();
    while (::flock(fd->get(), LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) {
            Error e = make_error(ErrorKind::temporary, Radius::fatal, path + " is locked by another process");
            e.retry = Retry::later;
            return e;
        }
        return errno_error("cannot lock", path);
    }
    return fd;
}

}  // namespace mailferry::wrap
