// Sequential reading of a local file that may be gzip-compressed: the mbox
// reader's input. Compression is recognised by the gzip magic bytes (1f 8b),
// never by the file name, and undone with zlib's inflate; concatenated gzip
// members are read one after the other, as gzip -d does.
//
// Errors name the path and say where the data broke: the decompressed offset
// (what the caller has read) and, for gzip, the compressed offset in the file.
// After an error the input is finished: further reads return the same error.
//
// Ownership and threads: one FileInput per thread; movable (the zlib stream is
// on the heap and never moves), not copyable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "mailferry/result.hpp"

namespace mailferry::wrap {

class FileInput {
public:
    // Opens path and peeks at its first bytes to tell gzip from plain data.
    static Result<FileInput> open(const std::string& path);

    FileInput(FileInput&&) noexcept;
    FileInput& operator=(FileInput&&) noexcept;
    ~FileInput();

    // Reads up to size bytes of (decompressed) data; 0 means the end of the data.
    // Errors: io (read failed), invalid_data (corrupt or truncated gzip stream).
    Result<size_t> read(char* out, size_t size);
    // Discards the next n bytes of (decompressed) data, or fewer at the end.
    Status skip(uint64_t n);

    bool gzip() const;
    const std::string& path() const;
    uint64_t offset() const;             // decompressed bytes handed out so far
    uint64_t compressed_offset() const;  // bytes of the file consumed so far
    // Set when bytes that are not a gzip member follow the last one (gzip -d
    // ignores them with a warning; so do we). Empty otherwise.
    const std::string& trailing_note() const;

private:
    struct Impl;
    explicit FileInput(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mailferry::wrap
