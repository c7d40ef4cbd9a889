// MailSource: what every source of mail offers the fetch pipeline (docs/architecture.md §1).
// A source lists its folders, then is asked folder by folder for the
// identities of its messages and for their bytes, flags and received dates.
// IMAP is the first adapter; POP3 and the file formats follow the same shape.
//
// Ownership and threads: one MailSource is used by one thread; the pipeline
// opens one per connection. Bytes handed to a MessageSink are valid only
// during the call.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/flags.hpp"
#include "mailferry/result.hpp"

namespace mailferry {

// What kind of mailbox a source is, as the cache's sources table records it
// ("imap", "pop3", "mbox", "maildir", "eml").
enum class SourceKind { imap, pop3, mbox, maildir, eml };

const char* source_kind_name(SourceKind kind);
// The kind a recorded name stands for; nothing for a name no mailferry writes.
std::optional<SourceKind> parse_source_kind(std::string_view name);
// Whether messages come over the network (a server and an account), not from files.
bool is_network_source(SourceKind kind);

struct SourceFolder {
    std::string raw_name;    // as the source names it (IMAP: modified UTF-7)
    std::string name;        // UTF-8, for people
    char delimiter = '/';    // '\0' when the source has no hierarchy
    std::string role;        // "\\Sent", "\\Trash", ... or "" (RFC 6154)
    bool selectable = true;
};

struct FolderStatus {
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 0;
    uint32_t exists = 0;
    // IMAP CONDSTORE's HIGHESTMODSEQ: it grows with every change in the
    // folder, flags included. 0: the source has none (or did not say).
    uint64_t highest_modseq = 0;
};

struct MessageRef {
    uint32_t uid = 0;
    uint64_t size = 0;
};

struct FetchedMessage {
    uint32_t uid = 0;
    int64_t received = 0;  // INTERNALDATE, epoch seconds
    Flags flags;
    std::string_view bytes;  // exactly what the source sent
    // Sources without IMAP UIDs: their own identity (POP3 UIDL, file position).
    std::string_view source_key;
    // Where `received` comes from: "server" (INTERNALDATE), "received" (the
    // last Received: header), "date" (Date:), "fetch" (the fetch time),
    // "from_line" (mbox), "mtime" (a file's modification time).
    const char* received_from = "server";
};

// Stable UIDs for sources whose messages have none of their own (POP3, files):
// the UIDs of these keys in a folder, new keys getting UIDs above every UID
// given before. The assignment is durable before it returns, so a message is
// never fetched under two UIDs, whatever crashes in between.
using UidAssigner = std::function<Result<std::vector<uint32_t>>(const std::string& folder_raw_name,
                                                                const std::vector<std::string>& keys)>;

// What a source deleted after a fetch (POP3 --delete-after-fetch).
struct SourceDeletion {
    uint64_t deleted = 0;  // messages the server was asked to delete
    // Messages left on the server because another one has their key: the key
    // alone cannot say which of them the cache holds.
    uint64_t kept_shared_key = 0;
};

using MessageSink = std::function<Status(const FetchedMessage&)>;
using FlagsSink = std::function<void(uint32_t uid, const Flags&)>;

class MailSource {
public:
    virtual ~MailSource() = default;
    virtual Result<std::vector<SourceFolder>> list_folders() = 0;
    // Opens a folder read-only.
    virtual Result<FolderStatus> open_folder(const SourceFolder& folder) = 0;
    // The messages of the open folder with UID >= first_uid, in UID order.
    virtual Result<std::vector<MessageRef>> list_messages(uint32_t first_uid) = 0;
    // Streams the given messages of the open folder to sink, one at a time.
    // Messages the source does not return are simply not passed to sink.
    virtual Status fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) = 0;
    // The current flags of every message with UID <= last_uid.
    virtual Status fetch_flags(uint32_t last_uid, const FlagsSink& sink) = 0;
    // The flags of the messages with UID <= last_uid whose flags changed
    // after since_modseq (IMAP CONDSTORE's CHANGEDSINCE); asked only of a
    // source whose open_folder said a highest_modseq. Others report every
    // message, which is never wrong, only slower.
    virtual Status fetch_flag_changes(uint32_t last_uid, uint64_t since_modseq, const FlagsSink& sink) {
        (void)since_modseq;
        return fetch_flags(last_uid, sink);
    }
    // A folder's state without opening it (IMAP STATUS), for a watch that
    // fetches only the folders that changed. nullopt: this source cannot
    // tell cheaply (every folder is fetched).
    virtual Result<std::optional<FolderStatus>> peek_status(const SourceFolder& folder) {
        (void)folder;
        return std::optional<FolderStatus>();
    }
    // Deletes from the source the messages whose source keys (FetchedMessage::
    // source_key) are in cached_keys, and nothing else, for sources whose mail
    // is meant to be taken away (POP3). Others refuse (kind usage).
    virtual Result<SourceDeletion> delete_cached(const std::set<std::string>& cached_keys) {
        (void)cached_keys;
        return make_error(ErrorKind::usage, Radius::fatal, "this source does not delete messages");
    }
};

}  // namespace mailferry
