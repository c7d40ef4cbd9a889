// An open directory, and everything made below it named relative to it
// (mkdirat, openat, renameat...). Whoever can create entries below a
// directory we write into can plant a symbolic link where a file or a
// subdirectory is about to go; a path string is resolved again at every
// call and follows it. A handle is resolved once: below it nothing is
// followed (O_NOFOLLOW), files are only ever created new (O_EXCL), and a
// link or other unexpected file type where a directory or file is wanted is
// an error naming it, not a thing written through.
//
// Names passed to the methods are one path component ("cur", "x.eml"):
// anything else is an error of kind internal. Errors name the path
// (path() + "/" + name) and carry strerror(errno), as posix_file.hpp.
//
// Ownership and threads: owns its descriptor; movable, not copyable. One
// thread at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mailferry/result.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::wrap {

enum class EntryType { none, regular, directory, symlink, other };

// A new file and the name it got (create_unique_file).
struct NamedFile {
    UniqueFd fd;
    std::string name;
};

class DirectoryHandle {
public:
    DirectoryHandle() = default;

    // Opens path, which must be a directory and (its last component) not a
    // symbolic link. Errors: usage for a link or another file type; io else.
    static Result<DirectoryHandle> open(const std::string& path);
    // Like open, but absent is no error: nullopt.
    static Result<std::optional<DirectoryHandle>> open_if_present(const std::string& path);
    // Opens path following links, for a root the user named through one (the cache's mail/).
    static Result<DirectoryHandle> open_following(const std::string& path);

    bool valid() const { return fd_.valid(); }
    int fd() const { return fd_.get(); }
    const std::string& path() const { return path_; }
    std::string path_of(const std::string& name) const;

    // A second descriptor on the same directory.
    Result<DirectoryHandle> duplicate() const;

    // What name is, not following a link; none when absent.
    Result<EntryType> entry_type(const std::string& name) const;
    // The subdirectory name, made with mode if missing (mkdirat), opened without following.
    Result<DirectoryHandle> make_subdirectory(const std::string& name, unsigned mode = 0700) const;
    // The subdirectory name if it exists; nullopt when absent.
    Result<std::optional<DirectoryHandle>> open_subdirectory(const std::string& name) const;
    // rel: components joined by '/' ("Lists/dev"; "" is this directory), each made or opened as above.
    Result<DirectoryHandle> make_subdirectories(const std::string& rel, unsigned mode = 0700) const;
    Result<std::optional<DirectoryHandle>> open_subdirectories(const std::string& rel) const;

    // A new file called name, for writing (O_CREAT | O_EXCL | O_NOFOLLOW).
    // A name that exists (a link included) gives an invalid UniqueFd, not an
    // error: the caller decides what an existing file means.
    Result<UniqueFd> create_file(const std::string& name, unsigned mode = 0600) const;
    // A new file named prefix, or prefix.1, prefix.2... if taken (a leftover of
    // an interrupted run): for writing under a temporary name, then rename.
    Result<NamedFile> create_unique_file(const std::string& prefix, unsigned mode = 0600) const;
    // The bytes of the regular file name; nullopt when absent; a link is an error.
    Result<std::optional<std::string>> read_file(const std::string& name) const;
    // The modification time of name (not following a link); nullopt when absent.
    Result<std::optional<int64_t>> mtime_of(const std::string& name) const;
    // Every entry but "." and "..", in directory order.
    Result<std::vector<std::string>> entries() const;

    // renameat(2): name here to to_name in to (which may be this directory).
    // An entry at to_name is replaced, never followed.
    Status rename(const std::string& name, const DirectoryHandle& to, const std::string& to_name) const;
    // linkat(2) without following; an existing to_name is not an error.
    Status link(const std::string& name, const DirectoryHandle& to, const std::string& to_name) const;
    // unlinkat(2) of a file; absent is not an error.
    Status remove(const std::string& name) const;

    // fsync(2) of the directory: its entries (created, renamed, removed) durable.
    Status sync() const;
    // syncfs(2) of the file system it is on.
    Status sync_filesystem() const;

private:
    DirectoryHandle(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
    Status check_name(const std::string& name) const;

    UniqueFd fd_;
    std::string path_;
};

// The one-line refusal for an entry that is not what the writer wanted
// (wanted: "a directory", "a regular file"). Kind usage: the user removes it.
Error unexpected_entry(const std::string& path, EntryType found, std::string_view wanted);

}  // namespace mailferry::wrap
