// Thin RAII over POSIX file descriptors and the few file-system calls the
// cache's durability contract needs. Every function returns a Result whose
// error names the path and carries strerror(errno); ENOSPC and EDQUOT are
// reported as such so that a full disk reads as a full disk.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mailferry/result.hpp"

namespace mailferry::wrap {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    int release() {
        int f = fd_;
        fd_ = -1;
        return f;
    }

private:
    int fd_ = -1;
};

// An error of kind io for a failed call on path, from errno.
Error errno_error(std::string_view what, const std::string& path);

Result<UniqueFd> open_file(const std::string& path, int flags, unsigned mode = 0600);
Result<UniqueFd> open_directory(const std::string& path);
Status write_all(int fd, const void* data, size_t size, const std::string& path_for_errors);
// Writes a whole new file (O_EXCL unless overwrite) with mode 0600; not synced.
Status write_file(const std::string& path, std::string_view bytes, bool overwrite = false);
Result<std::string> read_file(const std::string& path);
Status set_mtime(int fd, int64_t epoch_seconds, const std::string& path_for_errors);
Status fsync_fd(int fd, const std::string& path_for_errors);
Status fsync_directory(const std::string& path);
// syncfs(2): one call makes every dirty page of the file system durable; far
// cheaper than an fsync per file when a batch holds thousands of files.
Status sync_filesystem_of(const std::string& path);
Status rename_path(const std::string& from, const std::string& to);
Status link_path(const std::string& from, const std::string& to);
Status remove_file(const std::string& path);  // ENOENT is not an error
// A new file called name inside the open directory dir, for writing, mode
// 0600. name must be one path component (no '/', not "." or ".."): anything
// else is an error of kind internal. O_EXCL and O_NOFOLLOW: neither an
// existing file nor a symbolic link planted under that name is ever opened
// or followed; a name that exists (a dangling link included) gives an
// invalid UniqueFd, not an error. path_for_errors names dir/name in errors.
Result<UniqueFd> create_new_file_in(const UniqueFd& dir, const std::string& name, const std::string& path_for_errors);
// unlinkat(2) of name in dir; ENOENT is not an error.
Status remove_file_in(const UniqueFd& dir, const std::string& name, const std::string& path_for_errors);
// mkdir -p with the given mode for each directory it creates.
Status make_directories(const std::string& path, unsigned mode = 0700);
bool exists(const std::string& path);
// An exclusive flock(2) on path (created 0600 if missing), held while the
// returned descriptor lives. wait=false: an error of kind temporary
// when another process holds it.
Result<UniqueFd> lock_exclusive(const std::string& path, bool wait);

}  // namespace mailferry::wrap
