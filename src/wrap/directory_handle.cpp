#include "wrap/directory_handle.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailferry::wrap {
namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
// Past this many leftovers of one temporary name something else is wrong.
constexpr int kMaxUniqueTries = 1000;

EntryType type_of(mode_t mode) {
    if (S_ISREG(mode)) return EntryType::regular;
    if (S_ISDIR(mode)) return EntryType::directory;
    if (S_ISLNK(mode)) return EntryType::symlink;
    return EntryType::other;
}

std::string_view describe(EntryType t) {
    switch (t) {
        case EntryType::none: return "missing";
        case EntryType::regular: return "a file";
        case EntryType::directory: return "a directory";
        case EntryType::symlink: return "a symbolic link";
        case EntryType::other: return "a special file";
    }
    return "?";
}

// ELOOP and ENOTDIR from an open that does not follow: something other than a
// directory (or a file) is there; say what instead of strerror's riddle.
bool wrong_type(int e) { return e == ELOOP || e == ENOTDIR || e == EISDIR || e == ENXIO; }

}  // namespace

Error unexpected_entry(const std::string& path, EntryType found, std::string_view wanted) {
    std::string text = path + " is " + std::string(describe(found)) + ", not " + std::string(wanted);
    if (found == EntryType::symlink) text += ": nothing is written through one (remove it, or choose another directory)";
    return make_error(ErrorKind::usage, Radius::fatal, std::move(text));
}

Result<DirectoryHandle> DirectoryHandle::open(const std::string& path) {
    int fd = ::open(path.c_str(), kDirectoryFlags);
    if (fd >= 0) return DirectoryHandle(UniqueFd(fd), path);
    int e = errno;
    struct stat st;
    if (wrong_type(e) && ::lstat(path.c_str(), &st) == 0) return unexpected_entry(path, type_of(st.st_mode), "a directory");
    errno = e;
    return errno_error("cannot open directory", path);
}

Result<std::optional<DirectoryHandle>> DirectoryHandle::open_if_present(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return std::optional<DirectoryHandle>();
    auto dir = open(path);
    if (!dir) return dir.error();
    return std::optional<DirectoryHandle>(std::move(*dir));
}

Result<DirectoryHandle> DirectoryHandle::open_following(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error("cannot open directory", path);
    return DirectoryHandle(UniqueFd(fd), path);
}

std::string DirectoryHandle::path_of(const std::string& name) const { return path_ + "/" + name; }

Status DirectoryHandle::check_name(const std::string& name) const {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos)
        return make_error(ErrorKind::internal, Radius::fatal, "not a file name: " + path_of(name));
    return {};
}

Result<DirectoryHandle> DirectoryHandle::duplicate() const {
    int fd = ::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return errno_error("cannot duplicate the descriptor of", path_);
    return DirectoryHandle(UniqueFd(fd), path_);
}

Result<EntryType> DirectoryHandle::entry_type(const std::string& name) const {
    MF_TRY(check_name(name));
    struct stat st;
    if (::fstatat(fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return type_of(st.st_mode);
    if (errno == ENOENT) return EntryType::none;
    return errno_error("cannot stat", path_of(name));
}

Result<std::optional<DirectoryHandle>> DirectoryHandle::open_subdirectory(const std::string& name) const {
    MF_TRY(check_name(name));
    int fd = ::openat(fd_.get(), name.c_str(), kDirectoryFlags);
    if (fd >= 0) return std::optional<DirectoryHandle>(DirectoryHandle(UniqueFd(fd), path_of(name)));
    int e = errno;
    if (e == ENOENT) return std::optional<DirectoryHandle>();
    if (wrong_type(e)) {
        auto type = entry_type(name);
        if (!type) return type.error();
        return unexpected_entry(path_of(name), *type, "a directory");
    }
    errno = e;
    return errno_error("cannot open directory", path_of(name));
}

Result<DirectoryHandle> DirectoryHandle::make_subdirectory(const std::string& name, unsigned mode) const {
    MF_TRY(check_name(name));
    if (::mkdirat(fd_.get(), name.c_str(), mode) != 0 && errno != EEXIST)
        return errno_error("cannot create directory", path_of(name));
    auto dir = open_subdirectory(name);
    if (!dir) return dir.error();
    // Made a moment ago and gone already: someone else is at work in here.
    if (!*dir) return make_error(ErrorKind::io, Radius::fatal, path_of(name) + " vanished as it was created");
    return std::move(**dir);
}

Result<DirectoryHandle> DirectoryHandle::make_subdirectories(const std::string& rel, unsigned mode) const {
    auto dir = duplicate();
    if (!dir) return dir.error();
    for (size_t start = 0; start < rel.size();) {
        size_t slash = rel.find('/', start);
        if (slash == std::string::npos) slash = rel.size();
        auto sub = dir->make_subdirectory(rel.substr(start, slash - start), mode);
        if (!sub) return sub.error();
        *dir = std::move(*sub);
        start = slash + 1;
    }
    return dir;
}

Result<std::optional<DirectoryHandle>> DirectoryHandle::open_subdirectories(const std::string& rel) const {
    auto dir = duplicate();
    if (!dir) return dir.error();
    std::optional<DirectoryHandle> at(std::move(*dir));
    for (size_t start = 0; start < rel.size() && at;) {
        size_t slash = rel.find('/', start);
        if (slash == std::string::npos) slash = rel.size();
        auto sub = at->open_subdirectory(rel.substr(start, slash - start));
        if (!sub) return sub.error();
        at = std::move(*sub);
        start = slash + 1;
    }
    return at;
}

Result<UniqueFd> DirectoryHandle::create_file(const std::string& name, unsigned mode) const {
    MF_TRY(check_name(name));
    int fd = ::openat(fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno == EEXIST) return UniqueFd();
    return errno_error("cannot create", path_of(name));
}

Result<NamedFile> DirectoryHandle::create_unique_file(const std::string& prefix, unsigned mode) const {
    for (int n = 0; n < kMaxUniqueTries; ++n) {
        std::string name = n == 0 ? prefix : prefix + "." + std::to_string(n);
        auto fd = create_file(name, mode);
        if (!fd) return fd.error();
        if (fd->valid()) return NamedFile{std::move(*fd), name};
    }
    return make_error(ErrorKind::io, Radius::fatal,
                      "no free temporary name for " + path_of(prefix) + " after " + std::to_string(kMaxUniqueTries) +
                          " tries: remove the leftovers");
}

Result<std::optional<std::string>> DirectoryHandle::read_file(const std::string& name) const {
    MF_TRY(check_name(name));
    // O_NONBLOCK: a FIFO planted at the name must not hang the open.
    int raw = ::openat(fd_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (raw < 0 && errno == ENOENT) return std::optional<std::string>();
    if (raw < 0 && !wrong_type(errno)) return errno_error("cannot open", path_of(name));
    UniqueFd fd(raw);
    struct stat st;
    if (fd.valid() && ::fstat(fd.get(), &st) != 0) return errno_error("cannot stat", path_of(name));
    if (!fd.valid() || !S_ISREG(st.st_mode)) {
        auto type = entry_type(name);
        if (!type) return type.error();
        return unexpected_entry(path_of(name), *type, "a regular file");
    }
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("cannot read", path_of(name));
        if (n == 0) return std::optional<std::string>(std::move(out));
        out.append(buf, static_cast<size_t>(n));
    }
}

Result<std::optional<int64_t>> DirectoryHandle::mtime_of(const std::string& name) const {
    MF_TRY(check_name(name));
    struct stat st;
    if (::fstatat(fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
        return std::optional<int64_t>(static_cast<int64_t>(st.st_mtime));
    if (errno == ENOENT) return std::optional<int64_t>();
    return errno_error("cannot stat", path_of(name));
}

Result<std::vector<std::string>> DirectoryHandle::entries() const {
    // fdopendir takes over the descriptor it is given: a duplicate, rewound,
    // since duplicates share the read position.
    int fd = ::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return errno_error("cannot duplicate the descriptor of", path_);
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
        Error e = errno_error("cannot list", path_);
        ::close(fd);
        return e;
    }
    ::rewinddir(d);
    std::vector<std::string> out;
    for (;;) {
        errno = 0;
        struct dirent* ent = ::readdir(d);
        if (ent == nullptr) break;
        std::string name = ent->d_name;
        if (name != "." && name != "..") out.push_back(std::move(name));
    }
    int e = errno;
    ::closedir(d);
    if (e != 0) {
        errno = e;
        return errno_error("cannot list", path_);
    }
    return out;
}

Status DirectoryHandle::rename(const std::string& name, const DirectoryHandle& to, const std::string& to_name) const {
    MF_TRY(check_name(name));
    MF_TRY(to.check_name(to_name));
    if (::renameat(fd_.get(), name.c_str(), to.fd(), to_name.c_str()) != 0)
        return errno_error("cannot rename " + path_of(name) + " to", to.path_of(to_name));
    return {};
}

Status DirectoryHandle::link(const std::string& name, const DirectoryHandle& to, const std::string& to_name) const {
    MF_TRY(check_name(name));
    MF_TRY(to.check_name(to_name));
    if (::linkat(fd_.get(), name.c_str(), to.fd(), to_name.c_str(), 0) != 0 && errno != EEXIST)
        return errno_error("cannot link", path_of(name));
    return {};
}

Status DirectoryHandle::remove(const std::string& name) const {
    MF_TRY(check_name(name));
    if (::unlinkat(fd_.get(), name.c_str(), 0) != 0 && errno != ENOENT) return errno_error("cannot remove", path_of(name));
    return {};
}

Status DirectoryHandle::sync() const { return fsync_fd(fd_.get(), path_); }

Status DirectoryHandle::sync_filesystem() const {
    if (::syncfs(fd_.get()) != 0) return errno_error("cannot sync the file system of", path_);
    return {};
}

}  // namespace mailferry::wrap
