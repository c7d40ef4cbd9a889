// What every file-format source (mbox, Maildir, EML) gets from the command
// that runs it, and what they share: where UIDs come from (the cache, through
// a UidAssigner: a source never sees the cache), where problems with the input
// are reported, and how far the input has been read.
//
// Problems are reported as one line each that names the file and, in a
// stream, the byte offset: "a.mbox:1234: the message holds NUL bytes".
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/mail_source.hpp"

namespace mailferry::formats {

// Larger messages are not imported: no server we migrate to takes them
// (Exchange Online: 150 MB, Gmail: 50 MB), and a source holds one message in
// memory at a time.
constexpr uint64_t kDefaultMaxMessageBytes = uint64_t{256} << 20;

// Thread-safe. Keeps at most kMaxLines lines of each kind and counts the rest.
class ImportNotes {
public:
    static constexpr size_t kMaxLines = 10000;
    // Nothing was lost, but the input was odd (NUL bytes kept, a wrong
    // Content-Length ignored, an empty file).
    void warning(std::string line);
    // A message was not imported, or only incompletely (a truncated file,
    // an unreadable file): the run ends with exit code 1.
    void error(std::string line);

    std::vector<std::string> warnings() const;
    std::vector<std::string> errors() const;
    uint64_t error_count() const;    // including those beyond kMaxLines
    uint64_t warning_count() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::string> warnings_, errors_;
    uint64_t warning_count_ = 0, error_count_ = 0;
};

// How far a listing pass has read (an mbox file is read once to list its
// messages, then again for the new ones). Written by the source, read by a
// progress bar on another thread.
struct ReadProgress {
    std::atomic<bool> scanning{false};
    std::atomic<uint64_t> scanned{0};     // bytes of the file being listed read so far
    std::atomic<uint64_t> scan_total{0};  // its size on disk (compressed size for gzip)
};

struct SourceContext {
    UidAssigner assign_uids;           // required
    ImportNotes* notes = nullptr;      // required; outlives the source
    ReadProgress* progress = nullptr;  // optional
    uint64_t max_message_bytes = kDefaultMaxMessageBytes;
};

// The UIDs a folder's keys get from the cache, one per key in order: the
// assigner's answer, checked.
Result<std::vector<uint32_t>> assign_folder_uids(const SourceContext& context, const std::string& folder,
                                                 const std::vector<std::string>& keys);

// The status of a folder of a file source once its messages are known, by
// their UIDs in ascending order.
FolderStatus file_folder_status(uint32_t highest_uid, size_t messages);

// A folder named by people ("Archive/2016", UTF-8, '/' between levels) as a
// source presents it: raw_name in modified UTF-7, delimiter '/'. "INBOX" in
// any case is INBOX. Empty levels are dropped.
SourceFolder folder_from_utf8(std::string_view name);

// Joins two UTF-8 folder names with '/' (either may be empty).
std::string join_folder(std::string_view parent, std::string_view child);

}  // namespace mailferry::formats
