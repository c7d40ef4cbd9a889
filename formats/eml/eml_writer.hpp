// Writes messages one per file (.eml), each file exactly the message's bytes:
// no From_ line, no conversion of line endings. Mode 0600 (mail is private),
// mtime = the message's received date.
//
// Files are written in place (O_EXCL unless overwriting; never through a
// symlink) and become durable at sync(): one syncfs for everything written
// since the last sync, then an fsync of each directory that got a file. A run
// killed before sync() may leave its last file short; the next run sees it
// as existing (and replaces it only when asked to overwrite).
//
// Not thread-safe: one writer per thread.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "mailferry/result.hpp"

namespace mailferry::eml {

class EmlWriter {
public:
    explicit EmlWriter(bool overwrite) : overwrite_(overwrite) {}

    // Writes dir/name. Without overwrite an existing file is an error of kind
    // usage naming it (nothing is changed); I/O errors are of kind io.
    Status write(const std::string& dir, const std::string& name, std::string_view bytes, int64_t received);

    // Makes every file written since the last sync durable.
    Status sync();

    uint64_t files_written() const { return files_; }

private:
    bool overwrite_;
    std::set<std::string> dirty_dirs_;
    uint64_t files_ = 0;
};

}  // namespace mailferry::eml
