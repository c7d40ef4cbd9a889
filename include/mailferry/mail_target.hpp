// MailTarget: what the replay and verify --target need of a mailbox they
// write to (docs/architecture.md §1), the write half beside MailSource. A
// target lists and creates folders, opens one, finds what a ledger entry
// became (after a reply that never came), appends a window of messages and
// adds flags. IMAP is the adapter (net/imap/imap_target.hpp); the engine tests
// use an in-memory one (tests/common/memory_mail.hpp).
//
// Ownership and threads: one MailTarget is one connection, used by one thread.
// Any error of radius account or wider means the connection is of no further
// use: the caller drops it and opens another.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mailferry/flags.hpp"
#include "mailferry/result.hpp"

namespace mailferry {

struct TargetFolderInfo {
    std::string name;       // UTF-8, levels joined by delimiter
    char delimiter = '\0';  // '\0': the server did not say
    std::string role;       // "\\Sent", "\\Trash", ... or "" (RFC 6154)
};

struct OpenedTargetFolder {
    uint32_t uidvalidity = 0;
    bool keywords_allowed = false;  // new keywords are kept (IMAP: PERMANENTFLAGS has \*)
};

// A message as the target has it.
struct TargetMessage {
    uint32_t uid = 0;
    uint64_t size = 0;
    int64_t internaldate = 0;  // epoch seconds
    std::string message_id;    // the Message-ID header's value as stored, when asked for
};

struct OutgoingMessage {
    uint64_t token = 0;        // the caller's handle, returned with the reply
    std::string flags;         // "\\Seen \\Answered $Label", may be empty; checked by the caller
    int64_t internaldate = 0;  // the received date to keep, epoch seconds
    std::string bytes;         // exactly what goes to the target (CRLF, no NUL)
};

struct AppendReply {
    uint64_t token = 0;
    bool accepted = false;
    std::string status;  // the server's word: OK, NO, BAD
    std::string text;    // the rest of its reply
    uint32_t uidvalidity = 0, uid = 0;  // where the message went (IMAP: APPENDUID), 0 when not said
};

using AppendReplyHandler = std::function<void(const AppendReply&)>;

class MailTarget {
public:
    virtual ~MailTarget() = default;
    virtual Result<std::vector<TargetFolderInfo>> list_folders() = 0;
    // Creates a folder (one that exists already is no error) and subscribes to it.
    virtual Status create_folder(const std::string& name) = 0;
    // Opens a folder to append to, or (read_only) to look in. A folder that
    // does not exist is an error of kind not_found.
    virtual Result<OpenedTargetFolder> open_folder(const std::string& name, bool read_only) = 0;

    // The messages of the open folder that may be what a ledger entry became:
    // with this Message-ID when one is given (plain ASCII), else of exactly
    // this size received within two days of `received`. The caller compares
    // size and date exactly and decides; each comes with its size and date.
    virtual Result<std::vector<TargetMessage>> find_messages(const std::string& message_id, uint64_t size,
                                                             int64_t received) = 0;
    // Size and Message-ID of these UIDs of the open folder; UIDs not there are not passed on.
    virtual Status describe_messages(const std::vector<uint32_t>& sorted_uids,
                                     const std::function<void(const TargetMessage&)>& on_message) = 0;

    // Appends to the open folder. The reply comes to on_reply now or during a
    // later append() or finish_appends(): a target may keep a window of
    // messages in flight. An error of radius message means this message could
    // not be sent safely and was not (the connection is fine); any other error
    // means the connection is lost with the replies still owed: what became of
    // those messages is for the caller to find out on a new connection.
    virtual Status append(OutgoingMessage message, const AppendReplyHandler& on_reply) = 0;
    // Waits for every reply still owed.
    virtual Status finish_appends(const AppendReplyHandler& on_reply) = 0;

    // Adds (add) or removes the system flags set in `flags` (\Seen,
    // \Answered, \Flagged, \Draft; never \Deleted, never keywords) on these
    // UIDs of the open folder, leaving every other flag as it is: for a target
    // that forgets \Flagged given with the message (docs/office365.md), and to
    // carry a flag changed at the source after the message was sent.
    virtual Status store_flags(const std::vector<uint32_t>& sorted_uids, const Flags& flags, bool add) = 0;
    // Removes these UIDs of the open folder, and nothing else (IMAP: \Deleted
    // set on them, then UID EXPUNGE of exactly them, RFC 4315). A target that
    // cannot remove single messages refuses with an error of kind usage: a
    // plain EXPUNGE would also take whatever else someone marked \Deleted.
    virtual Status delete_messages(const std::vector<uint32_t>& sorted_uids) = 0;
};

}  // namespace mailferry
