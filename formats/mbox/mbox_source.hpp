// One mbox file (plain or gzip, any variant MboxReader reads) as a MailSource.
//
// Two passes, neither holding the file in memory. Listing (list_folders) reads
// the whole file once and keeps, per message, its offset, size, key, flags,
// received date and folders (a few hundred bytes a message). Fetching reads it
// once more through an MboxCursor, forward only, handing over the messages the
// pipeline asks for; only a folder asked for after another one (Takeout labels)
// starts a new pass. The fetch passes apply the mbox variant the listing pass
// decided, so a file that needed the reader's mboxrd look-ahead is not read a
// third time. Both passes split the file on the cursor's thread.
//
// Identity: a message's key is "<offset>:<sha256>", its From_ line's offset
// in the (decompressed) file and the SHA-256 of its bytes. Appending to the
// file keeps every earlier key, so an import of the grown file adds only the
// new messages; a message changed or removed in the middle shifts the offsets
// after it, and those messages are imported again (the old copies are marked
// gone from the source).
//
// Folders: all messages go to options.folder, except that messages with an
// X-Gmail-Labels header (Google Takeout) go to the folder of their first
// folder label, or to each one's (LabelMode::copy); see takeout_labels.hpp.
//
// Received date: the From_ line's date, else the Date: header's, else the
// file's mtime. Flags: Status:, X-Status:, X-Keywords: (the reader), then
// Takeout's Opened/Unread/Starred labels.
//
// Problems (into the notes): the reader's warnings (warnings); a message that
// does not end with a line break (a truncated file: imported as it is, but an
// error), messages the reader skipped, and a read error that ended the file
// early (every message before it is imported): errors.
//
// Thread-safety: one source per thread (MailSource's contract).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <optional>

#include "formats/mbox/mbox_cursor.hpp"
#include "formats/source_context.hpp"
#include "mailferry/mail_source.hpp"

namespace mailferry::mbox {

enum class LabelMode { first, copy };

struct MboxSourceOptions {
    std::string path;    // the mbox file
    std::string folder;  // UTF-8 ('/' between levels): the folder of its messages
    LabelMode labels = LabelMode::first;
    // X-Gmail-Labels choose folders in a file detected as a Google Takeout
    // export (takeout_labels.hpp, is_takeout_sender); true: in any file.
    bool labels_in_any_file = false;
    // auto_detect, or what the user knows the file is (mailferry's own mboxrd
    // export usually has no ">>From" line for auto-detection to see).
    Variant variant = Variant::auto_detect;
};

class MboxSource final : public MailSource {
public:
    MboxSource(MboxSourceOptions options, formats::SourceContext context);
    ~MboxSource() override;

    Result<std::vector<SourceFolder>> list_folders() override;
    Result<FolderStatus> open_folder(const SourceFolder& folder) override;
    Result<std::vector<MessageRef>> list_messages(uint32_t first_uid) override;
    Status fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) override;
    Status fetch_flags(uint32_t last_uid, const FlagsSink& sink) override;

private:
    struct Entry {
        uint64_t index = 0;   // MboxMessage::index
        uint64_t offset = 0;
        uint64_t size = 0;
        std::string key;
        int64_t received = 0;
        const char* received_from = "from_line";
        Flags flags;
        std::vector<uint32_t> folders;  // indexes into folders_
    };
    struct Open {
        uint32_t uid;
        size_t entry;
    };

    Status scan();
    Status note_read_problems(const Status& read, const ReadReport& report);
    void scan_message(const CursorMessage& m, int64_t mtime);
    uint32_t folder_index(const std::string& utf8_name);
    std::vector<std::string> label_folders(const CursorMessage& m, Flags& flags);
    void note_label_limits();
    const CursorMessage* seek(const Entry& e);

    MboxSourceOptions options_;
    formats::SourceContext context_;
    bool scanned_ = false;
    std::optional<bool> takeout_;  // decided by the first From_ line
    uint64_t labels_ignored_ = 0, labels_over_cap_ = 0;
    std::vector<Entry> entries_;
    std::set<uint64_t> truncated_;  // offsets of messages without a final line break
    std::vector<SourceFolder> folders_;
    std::vector<Open> open_;  // the open folder's messages, by UID
    Variant variant_ = Variant::auto_detect;  // what the listing pass applied
    std::unique_ptr<MboxCursor> cursor_;
    const CursorMessage* at_ = nullptr;  // the cursor's current message
};

}  // namespace mailferry::mbox
