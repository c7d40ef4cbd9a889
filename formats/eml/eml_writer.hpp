// Writes messages one per file (.eml), each file exactly the message's bytes:
// no From_ line, no conversion of line endings. Mode 0600 (mail is private),
// mtime = the message's received date.
//
// Files are made through an open directory (wrap::DirectoryHandle): created
// new (O_EXCL), never through a symlink. Overwriting writes a temporary file
// beside the old one and renames it over the name: the old file is never
// opened. A link or anything but a regular file at the name is an error
// naming it. Files become durable at sync(): one syncfs for everything written
// since the last sync, then an fsync of each directory that got a file. A run
// killed before sync() may leave its last file short; the next run sees it
// as existing (and replaces it only when asked to overwrite).
//
// Not thread-safe: one writer per thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "mailferry/result.hpp"
#include "wrap/directory_handle.hpp"

namespace mailferry::eml {

class EmlWriter {
public:
    explicit EmlWriter(bool overwrite) : overwrite_(overwrite) {}

    // Writes name in dir; true when it replaced an existing file. Without
    // overwrite an existing file is an error of kind usage naming it (nothing
    // is changed); I/O errors are of kind io.
    Result<bool> write(const wrap::DirectoryHandle& dir, const std::string& name, std::string_view bytes,
                       int64_t received);

    // Makes every file written since the last sync durable.
    Status sync();

    uint64_t files_written() const { return files_; }

private:
    Status write_into(const wrap::UniqueFd& fd, const std::string& path, std::string_view bytes, int64_t received);

    bool overwrite_;
    std::map<std::string, wrap::DirectoryHandle> dirty_dirs_;  // by path
    uint64_t files_ = 0;
};

}  // namespace mailferry::eml
