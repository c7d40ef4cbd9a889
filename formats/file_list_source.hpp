// The part of MailSource that every source of one-message-per-file folders
// shares (Maildir, EML): a folder is a list of files, each with its identity
// key; the cache's UidAssigner turns the keys into stable UIDs when the
// folder is opened; messages are read from their files one at a time.
//
// UIDs: the keys of a folder are assigned in the order entries_of() gives
// them, so new files get UIDs above every earlier one and an import of the
// same files again lists nothing new.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/source_context.hpp"
#include "mailferry/mail_source.hpp"

namespace mailferry::formats {

struct FileEntry {
    std::string key;   // the identity the UidAssigner gets
    std::string path;  // the file
    uint64_t size = 0;  // of the message (what list_messages announces)
    int64_t received = 0;
    const char* received_from = "mtime";
    Flags flags;
    uint32_t uid = 0;  // set by open_folder
};

class FileListSource : public MailSource {
public:
    Result<FolderStatus> open_folder(const SourceFolder& folder) final;
    Result<std::vector<MessageRef>> list_messages(uint32_t first_uid) final;
    // Reads each file when its turn comes; a file that cannot be read or no
    // longer holds the listed message is reported in the notes and not passed
    // to sink (the pipeline then retries it on the next run).
    Status fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) final;
    Status fetch_flags(uint32_t last_uid, const FlagsSink& sink) final;

protected:
    explicit FileListSource(SourceContext context) : context_(std::move(context)) {}

    // The messages of a folder, in the order new ones should get UIDs. Files
    // that are not importable are reported in the notes and left out. An
    // entry whose key came before is dropped by open_folder.
    virtual Result<std::vector<FileEntry>> entries_of(const SourceFolder& folder) = 0;
    // The message held by a file's bytes, or nullopt when the file no longer
    // holds the message listed as entry (it changed since).
    virtual std::optional<std::string_view> message_of(const FileEntry& entry, std::string_view file_bytes) = 0;

    const SourceContext context_;

private:
    const FileEntry* find(uint32_t uid) const;
    std::vector<FileEntry> open_;  // the open folder's messages, by UID
};

}  // namespace mailferry::formats
