// A buffered output file for writers that produce one big file (the mbox
// writer): writes are collected in a buffer and go to the kernel in large
// blocks; close() makes the file durable (fsync of the file and, for a file
// it created, of its directory).
//
// An existing file is never replaced unless the mode says so. Errors name the
// path (posix_file.hpp); a full disk reads as a full disk.
//
// Ownership and threads: one FileOutput per thread; movable, not copyable.
// Destroying it without close() writes what is buffered, best effort, and does
// not sync: a writer that failed half-way leaves what it wrote, undurable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mailferry/result.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::wrap {

class FileOutput {
public:
    enum class Mode {
        create_new,  // the file must not exist (O_EXCL)
        overwrite,   // create or truncate
        append,      // create or append to what is there
    };

    static Result<FileOutput> open(const std::string& path, Mode mode, size_t buffer_size = 1 << 20);

    FileOutput(FileOutput&&) noexcept;
    FileOutput& operator=(FileOutput&&) noexcept;
    ~FileOutput();

    Status write(std::string_view bytes);
    Status flush();
    // Flushes, fsyncs, closes. Calling it again does nothing.
    Status close();

    // Bytes in the file, counting what is still buffered (for append: from the existing size).
    uint64_t size() const { return size_; }
    // The last (up to 4) bytes the file held when it was opened (append mode), to continue it properly.
    const std::string& tail_at_open() const { return tail_; }
    const std::string& path() const { return path_; }

private:
    FileOutput() = default;

    std::string path_;
    UniqueFd fd_;
    bool created_ = false;
    std::unique_ptr<char[]> buf_;
    size_t cap_ = 0, len_ = 0;
    uint64_t size_ = 0;
    std::string tail_;
};

}  // namespace mailferry::wrap
