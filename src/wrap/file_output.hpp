// A buffered output file for writers that produce one big file (the mbox
// writer): writes are collected in a buffer and go to the kernel in large
// blocks; close() makes the file durable (fsync of the file and, for a file
// it created, of its directory).
//
// An existing file is never replaced unless the mode says so. Errors name the
// path (posix_file.hpp); a full disk reads as a full disk.
//
// create_in() makes the file through an open directory (directory_handle.hpp)
// and never follows a link at its name; replacing writes a temporary file
// beside it, renamed over the name at close(): the old file (or whatever was
// planted there) is never opened, and stays until the new one is complete.
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
#include "wrap/directory_handle.hpp"
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
    // name in dir: create_new or overwrite (append is an error of kind
    // internal). Without overwrite, an existing name is an error of kind usage
    // naming it (a link or special file: unexpected_entry).
    static Result<FileOutput> create_in(const DirectoryHandle& dir, const std::string& name, Mode mode,
                                        size_t buffer_size = 1 << 20);

    FileOutput(FileOutput&&) noexcept;
    FileOutput& operator=(FileOutput&&) noexcept;
    ~FileOutput();

    Status write(std::string_view bytes);
    Status flush();
    // Flushes, fsyncs, closes (create_in with overwrite: renames the file
    // over its name). Calling it again does nothing.
    Status close();

    // Bytes in the file, counting what is still buffered (for append: from the existing size).
    uint64_t size() const { return size_; }
    // The last (up to 4) bytes the file held when it was opened (append mode), to continue it properly.
    const std::string& tail_at_open() const { return tail_; }
    const std::string& path() const { return path_; }

private:
    FileOutput() = default;
    Status sync_directory();

    std::string path_;
    DirectoryHandle dir_;     // create_in: the directory holding the file
    std::string name_, temp_name_;  // create_in: the file's name, and the temporary one it is written under
    UniqueFd fd_;
    bool created_ = false;
    std::unique_ptr<char[]> buf_;
    size_t cap_ = 0, len_ = 0;
    uint64_t size_ = 0;
    std::string tail_;
};

}  // namespace mailferry::wrap
