// Saves attachments (mime/attachments.hpp) as files in one directory, for
// mailferry show --save-attachments. Names come from mail, so:
//  - each file name is the attachment's name sanitised as export sanitises
//    names from mail (export_paths.hpp: no '/', '\\', "..", leading '.',
//    control or bidi characters; at most kMaxComponentBytes, cut in the stem
//    so the extension stays); a part without a name is "attachment-N" with an
//    extension for its content type when one is known (N counts the unnamed);
//  - a file is created only inside the directory, with openat(2), O_EXCL and
//    O_NOFOLLOW: nothing that exists is overwritten, no symbolic link is
//    followed, whatever is in the directory. A taken name becomes
//    "name (2).ext", "name (3).ext"...; so a second run beside a first one
//    writes new files;
//  - files are 0600 (as the cache's), fsynced; a file that cannot be written
//    whole is removed, so none is left short.
// The directory itself is the caller's choice: it may be a symbolic link.
// Errors: io (the disk is full, permissions...); internal when no free name
// is found. Not thread-safe: one saver per directory and thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/result.hpp"
#include "mime/attachments.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::pipeline {

struct SavedAttachment {
    std::string file;  // its name in the directory
    std::string name;  // the name the message gave, decoded (empty: none)
    std::string content_type;
    uint64_t bytes = 0;
    bool decoded = true;  // false: saved still in its transfer encoding (x-uuencode...)
};

class AttachmentSaver {
public:
    // Opens dir, which must exist (pipeline::make_output_directory makes it).
    static Result<AttachmentSaver> open(const std::string& dir);

    Result<SavedAttachment> save(const mime::Attachment& attachment);
    // Makes the directory's new entries durable.
    Status finish();

private:
    AttachmentSaver(std::string dir, wrap::UniqueFd fd) : dir_(std::move(dir)), dir_fd_(std::move(fd)) {}
    Status write_whole(wrap::UniqueFd fd, const std::string& file, std::string_view bytes);

    std::string dir_;
    wrap::UniqueFd dir_fd_;
    size_t unnamed_ = 0;
};

// The name a file is first tried under (rules above); n numbers the unnamed.
std::string attachment_file_name(std::string_view name, std::string_view content_type, size_t n);
// "report.pdf", 2 -> "report (2).pdf"; "README", 3 -> "README (3)".
std::string numbered_file_name(const std::string& file, int n);

// What saving every attachment of a message did (show --save-attachments).
struct AttachmentsSaved {
    std::string directory;
    std::vector<SavedAttachment> saved;
    std::vector<std::string> warnings;  // about the directory made
    std::optional<Error> failure;       // what stopped the saving (disk full...)
    mime::AttachmentScan scan;          // whether the whole message could be walked
    uint64_t bytes() const;
};

// Every attachment of message into dir, each passed to on_saved as it is
// saved. dir is made (0700) at the first attachment, so a message without
// any leaves no empty directory behind.
AttachmentsSaved save_attachments(std::string_view message, const std::string& dir,
                                  const std::function<void(const SavedAttachment&)>& on_saved);

}  // namespace mailferry::pipeline
