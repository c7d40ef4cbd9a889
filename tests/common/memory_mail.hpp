// An in-memory mailbox behind the MailSource and MailTarget interfaces, so that
// the fetch and replay engines can be tested fast and without a server (the
// way isync tests its sync engine): a MemoryMailbox holds the folders and
// their messages, MemorySource and MemoryTarget are connections to it.
//
// The mailbox also plays the faults a real server and network bring, from a
// script: every call a connection makes is one numbered *step*, counted
// across all connections (opening a connection is a step, and so is each
// message a fetch_messages hands to its sink, so that a connection can be lost
// in the middle of a FETCH). A test counts the steps of a clean run, then
// injects a fault at each step k in turn.
//
// Threads: the engines run several connections at once, one thread each; the
// mailbox is shared by all of them (std::shared_ptr) and locks one mutex.
// One MemorySource or MemoryTarget is used by one thread, as the interfaces say.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/flags.hpp"
#include "mailferry/mail_source.hpp"
#include "mailferry/mail_target.hpp"
#include "mailferry/result.hpp"

namespace mailferry::test {

struct MemoryMessage {
    uint32_t uid = 0;
    std::string bytes;
    Flags flags;
    int64_t internaldate = 0;  // epoch seconds
    uint64_t modseq = 0;       // the folder's modseq when it was stored or its flags last changed
};

struct MemoryFolder {
    std::string name;  // UTF-8, levels joined by '/'
    std::string role;  // "\\Sent", ... or ""
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 1;
    bool subscribed = false;
    std::map<uint32_t, MemoryMessage> messages;  // by UID
    uint64_t modseq = 1;  // CONDSTORE's HIGHESTMODSEQ: every change raises it
};

// One step of the fault script, as the fault hook sees it.
struct Step {
    uint64_t number = 0;      // 1, 2, ... across every connection of the mailbox
    uint64_t connection = 0;  // 1, 2, ... in the order connections were opened (for "connect": the next one)
    // The interface call: "connect", "list_folders", "open_folder",
    // "list_messages", "fetch_messages", "message" (one message handed to a
    // fetch sink), "fetch_flags", "fetch_flag_changes", "create_folder", "find_messages",
    // "describe_messages", "append", "finish_appends", "store_flags",
    // "delete_messages", "peek_status".
    std::string_view call;
    std::string folder;  // the folder open on the connection, "" if none
    uint32_t uid = 0;    // "message": the one about to be handed over
    // Messages this connection handed over (source) or appends it sent
    // (target) before this step.
    uint64_t messages_before = 0;
};

enum class Fault {
    none,
    // The connection is lost: this call fails (kind temporary, radius account)
    // and so does every later call on the connection. At "connect": refused.
    lose_connection,
    // At "append": the message lands in the folder, then the connection is
    // lost before its reply (and every reply still owed) comes back. At any
    // other step: as lose_connection.
    lose_reply,
    // At "connect": refused with an error of kind auth (no new connection can
    // help: the engine must stop). At any other step: as lose_connection.
    refuse_login,
};

// Decides each step's fault; called with the mailbox locked, so it must not
// call the mailbox. It may also just watch (return Fault::none).
using FaultHook = std::function<Fault(const Step&)>;

// The server's word on an APPEND, chosen by a test: "NO" and a text such as
// "[THROTTLED] Suggested Backoff Time: 1 milliseconds" or "[OVERQUOTA] mailbox
// full". Only "OK" stores the message.
struct AppendVerdict {
    std::string status = "OK";
    std::string text;
};
// append_number: 1 for the first APPEND the mailbox received, and so on.
// nullopt: the usual OK. Called with the mailbox locked, like FaultHook.
using AppendHook =
    std::function<std::optional<AppendVerdict>(const std::string& folder, const OutgoingMessage& message,
                                               uint64_t append_number)>;

class MemoryMailbox {
public:
    // --- Contents ---
    // A folder that exists already keeps its messages (its role is updated).
    void add_folder(const std::string& name, const std::string& role = "");
    // The new message's UID (the folder is created if need be).
    uint32_t add_message(const std::string& folder, std::string bytes, Flags flags = {}, int64_t internaldate = 0);
    void set_flags(const std::string& folder, uint32_t uid, const Flags& flags);
    void expunge(const std::string& folder, uint32_t uid);
    // A new UIDVALIDITY, and every message renumbered from UID 1 in its old
    // order, as a server does when it rebuilds its index.
    void change_uidvalidity(const std::string& folder, uint32_t uidvalidity);
    // The source gives up on this message whenever it is fetched, as the IMAP
    // source does on one over the size limit: `error` (radius message) named
    // "UID n", and the connection is spent.
    void fail_message(const std::string& folder, uint32_t uid, Error error);
    // The source leaves this message out of every FETCH, as a server that
    // cannot read it does (it is still listed).
    void withhold_message(const std::string& folder, uint32_t uid);
    void heal_message(const std::string& folder, uint32_t uid);  // fetched as usual again
    void set_keywords_allowed(bool allowed);

    // --- Reading back ---
    std::vector<std::string> folder_names() const;  // sorted
    std::optional<MemoryFolder> folder(const std::string& name) const;
    std::vector<MemoryMessage> messages(const std::string& folder) const;  // UID order; none if no folder

    // --- Fault script ---
    void set_fault_hook(FaultHook hook);
    void set_append_hook(AppendHook hook);
    void clear_faults();  // both hooks
    // Canned scripts (each replaces the fault hook):
    // the connection making step k is lost (lose_reply: an APPEND at step k lands first).
    void lose_connection_at(uint64_t step, Fault how = Fault::lose_connection);
    // The run is killed at step k: that step and every later one fail, open
    // connections as lost, new ones refused with kind auth.
    void refuse_connections_from(uint64_t step);
    // Each connection hands over (or receives) n messages, then is lost at the next one.
    void lose_connection_every(uint64_t messages);

    // --- Counters ---
    uint64_t connections_opened() const;  // connections that were not refused
    uint64_t steps() const;
    uint64_t appends_received() const;  // APPEND commands that reached the mailbox
    void reset_counters();              // steps and counters from 0 (the contents stay)

private:
    friend class MemoryConnection;
    friend class MemorySource;
    friend class MemoryTarget;

    // With mutex_ held:
    MemoryFolder* find(const std::string& name);
    MemoryFolder& folder_for_change(const std::string& name);  // throws std::invalid_argument if absent
    MemoryFolder& ensure_folder(const std::string& name);      // created subscribed, with a new UIDVALIDITY
    uint32_t next_uidvalidity() { return ++last_uidvalidity_; }
    uint32_t store(MemoryFolder& folder, std::string bytes, Flags flags, int64_t internaldate);

    mutable std::mutex mutex_;
    std::map<std::string, MemoryFolder> folders_;
    std::map<std::pair<std::string, uint32_t>, Error> failing_messages_;
    std::set<std::pair<std::string, uint32_t>> withheld_messages_;
    bool keywords_allowed_ = true;
    uint32_t last_uidvalidity_ = 1000;
    FaultHook fault_hook_;
    AppendHook append_hook_;
    uint64_t steps_ = 0, connections_opened_ = 0, appends_received_ = 0;
};

// What MemorySource and MemoryTarget share: one connection's link to the
// mailbox, which takes the steps and remembers that the connection was lost.
class MemoryConnection {
public:
    using Lock = std::unique_lock<std::mutex>;

    // Opens a connection: the "connect" step.
    static Result<MemoryConnection> open(std::shared_ptr<MemoryMailbox> mailbox);

    Lock lock() { return Lock(mailbox_->mutex_); }
    MemoryMailbox& mailbox() { return *mailbox_; }
    // Takes one step (the lock held): the fault the script chose, lose_connection
    // when the connection was lost before (then no step is counted: the call
    // never reaches the server). Any fault leaves the connection lost.
    Fault step(const Lock& held, std::string_view call, uint32_t uid = 0);
    // What every call on a lost connection returns.
    Error lost_error() const;
    // A reply left half read (IMAP abandons the session): nothing more on this connection.
    void spend() { lost_ = true; }
    void count_message() { ++messages_; }

    std::string open_folder;  // UTF-8 name, "" when none

private:
    MemoryConnection(std::shared_ptr<MemoryMailbox> mailbox, uint64_t id) : mailbox_(std::move(mailbox)), id_(id) {}

    std::shared_ptr<MemoryMailbox> mailbox_;
    uint64_t id_ = 0;
    uint64_t messages_ = 0;
    bool lost_ = false;
    uint64_t lost_at_ = 0;  // the step, for the error's text
};

// Behaves like the IMAP source where the fetch engine relies on it: folders
// sorted by raw name (modified UTF-7), UIDs ascending, fetch_messages hands
// over the asked-for messages in UID order and returns the sink's error as it
// is (the connection is spent then, as IMAP abandons a half-read reply), a
// lost connection during a message names it "UID n".
class MemorySource : public MailSource {
public:
    explicit MemorySource(MemoryConnection connection) : c_(std::move(connection)) {}

    Result<std::vector<SourceFolder>> list_folders() override;
    Result<FolderStatus> open_folder(const SourceFolder& folder) override;
    Result<std::optional<FolderStatus>> peek_status(const SourceFolder& folder) override;
    Result<std::vector<MessageRef>> list_messages(uint32_t first_uid) override;
    Status fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) override;
    Status fetch_flags(uint32_t last_uid, const FlagsSink& sink) override;
    Status fetch_flag_changes(uint32_t last_uid, uint64_t since_modseq, const FlagsSink& sink) override;

private:
    Status flags_after(uint32_t last_uid, uint64_t since_modseq, const char* call, const FlagsSink& sink);
    Result<MemoryFolder*> folder_open(const MemoryConnection::Lock& held);
    // The next message to hand over, taking its "message" step.
    Result<std::optional<MemoryMessage>> take_message(uint32_t uid);

    MemoryConnection c_;
};

// A target whose appends keep a window of replies in flight: each message is
// stored at once, its reply (with uidvalidity and uid, like APPENDUID) is
// delivered only when more than `window` replies are owed, or by
// finish_appends. A lost connection loses the replies owed, not the messages.
class MemoryTarget : public MailTarget {
public:
    MemoryTarget(MemoryConnection connection, size_t window) : c_(std::move(connection)), window_(window) {}

    Result<std::vector<TargetFolderInfo>> list_folders() override;
    Status create_folder(const std::string& name) override;
    Result<OpenedTargetFolder> open_folder(const std::string& name, bool read_only) override;
    Result<std::vector<TargetMessage>> find_messages(const std::string& message_id, uint64_t size,
                                                     int64_t received) override;
    Status describe_messages(const std::vector<uint32_t>& sorted_uids,
                             const std::function<void(const TargetMessage&)>& on_message) override;
    Status append(OutgoingMessage message, const AppendReplyHandler& on_reply) override;
    Status finish_appends(const AppendReplyHandler& on_reply) override;
    Status store_flags(const std::vector<uint32_t>& sorted_uids, const Flags& flags, bool add) override;
    Status delete_messages(const std::vector<uint32_t>& sorted_uids) override;

    size_t replies_owed() const { return owed_.size(); }

private:
    Result<MemoryFolder*> folder_open(const MemoryConnection::Lock& held);
    AppendReply receive(const MemoryConnection::Lock& held, MemoryFolder& folder, const OutgoingMessage& message);
    void deliver_while_over(size_t owed, const AppendReplyHandler& on_reply);

    MemoryConnection c_;
    size_t window_;
    std::deque<AppendReply> owed_;
};

using MemorySourceFactory = std::function<Result<std::unique_ptr<MailSource>>()>;
using MemoryTargetFactory = std::function<Result<std::unique_ptr<MailTarget>>()>;

// Each call opens a new connection (one "connect" step); usable as a pipeline::SourceFactory.
MemorySourceFactory memory_source_factory(std::shared_ptr<MemoryMailbox> mailbox);
MemoryTargetFactory memory_target_factory(std::shared_ptr<MemoryMailbox> mailbox, size_t window);

// The Message-ID header's value, unfolded ("" when there is none).
std::string message_id_of(std::string_view bytes);

}  // namespace mailferry::test
