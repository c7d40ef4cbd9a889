#include "memory_mail.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "core/ascii.hpp"
#include "core/mutf7.hpp"
#include "mime/header_fields.hpp"

namespace mailferry::test {
namespace {

constexpr int64_t kTwoDays = 2 * 24 * 3600;

Error in_folder(Error e, const std::string& folder) {
    if (!folder.empty()) e.in("folder " + folder);
    return e;
}

Error no_folder_open() { return make_error(ErrorKind::internal, Radius::fatal, "no folder is open"); }

// IMAP SEARCH HEADER matches a substring, ignoring case (RFC 3501 §6.4.4):
// a real target may return more than the one message; the caller decides.
bool header_matches(const std::string& value, const std::string& wanted) {
    return ascii::lower(value).find(ascii::lower(wanted)) != std::string::npos;
}

TargetMessage described(const MemoryMessage& m) {
    return {m.uid, m.bytes.size(), m.internaldate, message_id_of(m.bytes)};
}

}  // namespace

std::string message_id_of(std::string_view bytes) { return mime::read_header_fields(bytes).message_id; }

// --- MemoryMailbox: contents ---

MemoryFolder* MemoryMailbox::find(const std::string& name) {
    auto it = folders_.find(name);
    return it == folders_.end() ? nullptr : &it->second;
}

MemoryFolder& MemoryMailbox::folder_for_change(const std::string& name) {
    MemoryFolder* f = find(name);
    if (!f) throw std::invalid_argument("memory mailbox: no folder " + name);
    return *f;
}

uint32_t MemoryMailbox::store(MemoryFolder& folder, std::string bytes, Flags flags, int64_t internaldate) {
    uint32_t uid = folder.uidnext++;
    folder.messages[uid] = MemoryMessage{uid, std::move(bytes), std::move(flags), internaldate, ++folder.modseq};
    return uid;
}

MemoryFolder& MemoryMailbox::ensure_folder(const std::string& name) {
    if (MemoryFolder* f = find(name)) return *f;
    MemoryFolder f;
    f.name = name;
    f.uidvalidity = next_uidvalidity();
    f.subscribed = true;
    return folders_.emplace(name, std::move(f)).first->second;
}

void MemoryMailbox::add_folder(const std::string& name, const std::string& role) {
    std::lock_guard<std::mutex> l(mutex_);
    ensure_folder(name).role = role;
}

uint32_t MemoryMailbox::add_message(const std::string& folder, std::string bytes, Flags flags, int64_t internaldate) {
    std::lock_guard<std::mutex> l(mutex_);
    return store(ensure_folder(folder), std::move(bytes), std::move(flags), internaldate);
}

void MemoryMailbox::set_flags(const std::string& folder, uint32_t uid, const Flags& flags) {
    std::lock_guard<std::mutex> l(mutex_);
    auto& messages = folder_for_change(folder).messages;
    auto it = messages.find(uid);
    if (it == messages.end()) throw std::invalid_argument("memory mailbox: no UID " + std::to_string(uid));
    it->second.flags = flags;
    it->second.modseq = ++folder_for_change(folder).modseq;
}

void MemoryMailbox::expunge(const std::string& folder, uint32_t uid) {
    std::lock_guard<std::mutex> l(mutex_);
    folder_for_change(folder).messages.erase(uid);
    ++folder_for_change(folder).modseq;
}

void MemoryMailbox::change_uidvalidity(const std::string& folder, uint32_t uidvalidity) {
    std::lock_guard<std::mutex> l(mutex_);
    MemoryFolder& f = folder_for_change(folder);
    std::map<uint32_t, MemoryMessage> renumbered;
    uint32_t uid = 0;
    for (auto& [old_uid, m] : f.messages) {
        m.uid = ++uid;
        renumbered.emplace(uid, std::move(m));
    }
    f.messages = std::move(renumbered);
    f.uidnext = uid + 1;
    f.uidvalidity = uidvalidity;
}

void MemoryMailbox::fail_message(const std::string& folder, uint32_t uid, Error error) {
    std::lock_guard<std::mutex> l(mutex_);
    failing_messages_.insert_or_assign({folder, uid}, std::move(error));
}

void MemoryMailbox::withhold_message(const std::string& folder, uint32_t uid) {
    std::lock_guard<std::mutex> l(mutex_);
    withheld_messages_.insert({folder, uid});
}

void MemoryMailbox::heal_message(const std::string& folder, uint32_t uid) {
    std::lock_guard<std::mutex> l(mutex_);
    failing_messages_.erase({folder, uid});
    withheld_messages_.erase({folder, uid});
}

void MemoryMailbox::set_keywords_allowed(bool allowed) {
    std::lock_guard<std::mutex> l(mutex_);
    keywords_allowed_ = allowed;
}

// --- MemoryMailbox: reading back ---

std::vector<std::string> MemoryMailbox::folder_names() const {
    std::lock_guard<std::mutex> l(mutex_);
    std::vector<std::string> names;
    for (const auto& [name, f] : folders_) names.push_back(name);
    return names;
}

std::optional<MemoryFolder> MemoryMailbox::folder(const std::string& name) const {
    std::lock_guard<std::mutex> l(mutex_);
    auto it = folders_.find(name);
    if (it == folders_.end()) return std::nullopt;
    return it->second;
}

std::vector<MemoryMessage> MemoryMailbox::messages(const std::string& folder) const {
    std::lock_guard<std::mutex> l(mutex_);
    std::vector<MemoryMessage> out;
    auto it = folders_.find(folder);
    if (it == folders_.end()) return out;
    for (const auto& [uid, m] : it->second.messages) out.push_back(m);
    return out;
}

// --- MemoryMailbox: fault script and counters ---

void MemoryMailbox::set_fault_hook(FaultHook hook) {
    std::lock_guard<std::mutex> l(mutex_);
    fault_hook_ = std::move(hook);
}

void MemoryMailbox::set_append_hook(AppendHook hook) {
    std::lock_guard<std::mutex> l(mutex_);
    append_hook_ = std::move(hook);
}

void MemoryMailbox::clear_faults() {
    set_fault_hook(nullptr);
    set_append_hook(nullptr);
}

void MemoryMailbox::lose_connection_at(uint64_t step, Fault how) {
    set_fault_hook([step, how](const Step& s) { return s.number == step ? how : Fault::none; });
}

void MemoryMailbox::refuse_connections_from(uint64_t step) {
    set_fault_hook([step](const Step& s) { return s.number >= step ? Fault::refuse_login : Fault::none; });
}

void MemoryMailbox::lose_connection_every(uint64_t messages) {
    set_fault_hook([messages](const Step& s) {
        bool carries_message = s.call == "message" || s.call == "append";
        return carries_message && s.messages_before == messages ? Fault::lose_connection : Fault::none;
    });
}

uint64_t MemoryMailbox::connections_opened() const {
    std::lock_guard<std::mutex> l(mutex_);
    return connections_opened_;
}

uint64_t MemoryMailbox::steps() const {
    std::lock_guard<std::mutex> l(mutex_);
    return steps_;
}

uint64_t MemoryMailbox::appends_received() const {
    std::lock_guard<std::mutex> l(mutex_);
    return appends_received_;
}

void MemoryMailbox::reset_counters() {
    std::lock_guard<std::mutex> l(mutex_);
    steps_ = connections_opened_ = appends_received_ = 0;
}

// --- MemoryConnection ---

Result<MemoryConnection> MemoryConnection::open(std::shared_ptr<MemoryMailbox> mailbox) {
    std::lock_guard<std::mutex> l(mailbox->mutex_);
    MemoryMailbox& m = *mailbox;
    Step s;
    s.number = ++m.steps_;
    s.connection = m.connections_opened_ + 1;
    s.call = "connect";
    Fault fault = m.fault_hook_ ? m.fault_hook_(s) : Fault::none;
    const std::string at = " (memory mailbox, step " + std::to_string(s.number) + ")";
    if (fault == Fault::refuse_login) return make_error(ErrorKind::auth, Radius::account, "login refused" + at);
    if (fault != Fault::none) return make_error(ErrorKind::temporary, Radius::account, "connection refused" + at);
    return MemoryConnection(std::move(mailbox), ++m.connections_opened_);
}

Fault MemoryConnection::step(const Lock& held, std::string_view call, uint32_t uid) {
    (void)held;  // the proof that the mailbox is locked
    if (lost_) return Fault::lose_connection;
    MemoryMailbox& m = *mailbox_;
    Step s;
    s.number = ++m.steps_;
    s.connection = id_;
    s.call = call;
    s.folder = open_folder;
    s.uid = uid;
    s.messages_before = messages_;
    Fault fault = m.fault_hook_ ? m.fault_hook_(s) : Fault::none;
    if (fault != Fault::none) {
        lost_ = true;
        lost_at_ = s.number;
    }
    return fault;
}

Error MemoryConnection::lost_error() const {
    std::string at = lost_at_ ? " at step " + std::to_string(lost_at_) : "";
    return make_error(ErrorKind::temporary, Radius::account,
                      "the connection was lost" + at + " (memory mailbox, connection " + std::to_string(id_) + ")");
}

// --- MemorySource ---

Result<MemoryFolder*> MemorySource::folder_open(const MemoryConnection::Lock& held) {
    (void)held;
    if (c_.open_folder.empty()) return no_folder_open();
    MemoryFolder* f = c_.mailbox().find(c_.open_folder);
    if (!f) return in_folder(make_error(ErrorKind::not_found, Radius::folder, "the folder was deleted"), c_.open_folder);
    return f;
}

Result<std::vector<SourceFolder>> MemorySource::list_folders() {
    auto lock = c_.lock();
    if (c_.step(lock, "list_folders") != Fault::none) return c_.lost_error();
    std::vector<SourceFolder> out;
    for (const auto& [name, f] : c_.mailbox().folders_)
        out.push_back(SourceFolder{mutf7_encode(name), name, '/', f.role, true});
    std::sort(out.begin(), out.end(),
              [](const SourceFolder& a, const SourceFolder& b) { return a.raw_name < b.raw_name; });
    return out;
}

Result<std::optional<FolderStatus>> MemorySource::peek_status(const SourceFolder& folder) {
    auto lock = c_.lock();
    if (c_.step(lock, "peek_status") != Fault::none) return in_folder(c_.lost_error(), folder.name);
    auto decoded = mutf7_decode(folder.raw_name);
    const MemoryFolder* f = c_.mailbox().find(decoded ? *decoded : folder.raw_name);
    if (!f) return in_folder(make_error(ErrorKind::not_found, Radius::folder, "no such folder"), folder.name);
    return std::optional<FolderStatus>(
        FolderStatus{f->uidvalidity, f->uidnext, static_cast<uint32_t>(f->messages.size()), f->modseq});
}

Result<FolderStatus> MemorySource::open_folder(const SourceFolder& folder) {
    auto lock = c_.lock();
    c_.open_folder = folder.name;
    if (c_.step(lock, "open_folder") != Fault::none) return in_folder(c_.lost_error(), folder.name);
    auto decoded = mutf7_decode(folder.raw_name);
    MemoryFolder* f = c_.mailbox().find(decoded ? *decoded : folder.raw_name);
    if (!f) {
        c_.open_folder.clear();
        return in_folder(make_error(ErrorKind::not_found, Radius::folder, "no such folder"), folder.name);
    }
    c_.open_folder = f->name;
    return FolderStatus{f->uidvalidity, f->uidnext, static_cast<uint32_t>(f->messages.size()), f->modseq};
}

Result<std::vector<MessageRef>> MemorySource::list_messages(uint32_t first_uid) {
    auto lock = c_.lock();
    if (c_.step(lock, "list_messages") != Fault::none) return in_folder(c_.lost_error(), c_.open_folder);
    auto folder = folder_open(lock);
    if (!folder) return folder.error();
    std::vector<MessageRef> refs;
    for (auto it = (*folder)->messages.lower_bound(first_uid); it != (*folder)->messages.end(); ++it)
        refs.push_back({it->first, it->second.bytes.size()});
    return refs;
}

Result<std::optional<MemoryMessage>> MemorySource::take_message(uint32_t uid) {
    auto lock = c_.lock();
    auto folder = folder_open(lock);
    if (!folder) return folder.error();
    auto it = (*folder)->messages.find(uid);
    if (it == (*folder)->messages.end() || c_.mailbox().withheld_messages_.count({c_.open_folder, uid}))
        return std::optional<MemoryMessage>{};  // expunged meanwhile, or withheld: not sent, no step
    if (c_.step(lock, "message", uid) != Fault::none) return c_.lost_error().in("UID " + std::to_string(uid));
    auto& failing = c_.mailbox().failing_messages_;
    if (auto f = failing.find({c_.open_folder, uid}); f != failing.end()) {
        c_.spend();
        Error e = f->second;
        return e.in("UID " + std::to_string(uid));
    }
    return std::optional<MemoryMessage>{it->second};
}

Status MemorySource::fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) {
    if (uids.empty()) return {};  // as IMAP: no command sent
    {
        auto lock = c_.lock();
        if (c_.step(lock, "fetch_messages") != Fault::none) return in_folder(c_.lost_error(), c_.open_folder);
    }
    std::vector<uint32_t> asked(uids);
    std::sort(asked.begin(), asked.end());
    asked.erase(std::unique(asked.begin(), asked.end()), asked.end());
    for (uint32_t uid : asked) {
        auto next = take_message(uid);
        if (!next) return next.error();
        if (!*next) continue;
        const MemoryMessage& m = **next;
        FetchedMessage fetched;
        fetched.uid = m.uid;
        fetched.received = m.internaldate;
        fetched.flags = m.flags;
        fetched.bytes = m.bytes;
        // The sink runs without the mailbox locked: it writes files, and other connections go on meanwhile.
        if (Status s = sink(fetched); !s) {
            c_.spend();
            return s;
        }
        c_.count_message();
    }
    return {};
}

Status MemorySource::fetch_flags(uint32_t last_uid, const FlagsSink& sink) {
    return flags_after(last_uid, 0, "fetch_flags", sink);
}

Status MemorySource::fetch_flag_changes(uint32_t last_uid, uint64_t since_modseq, const FlagsSink& sink) {
    return flags_after(last_uid, since_modseq, "fetch_flag_changes", sink);
}

Status MemorySource::flags_after(uint32_t last_uid, uint64_t since_modseq, const char* call, const FlagsSink& sink) {
    if (last_uid == 0) return {};  // as IMAP: no command sent
    std::vector<std::pair<uint32_t, Flags>> flags;
    {
        auto lock = c_.lock();
        if (c_.step(lock, call) != Fault::none) return in_folder(c_.lost_error(), c_.open_folder);
        auto folder = folder_open(lock);
        if (!folder) return folder.error();
        for (const auto& [uid, m] : (*folder)->messages)
            if (uid <= last_uid && m.modseq > since_modseq) flags.emplace_back(uid, m.flags);
    }
    for (const auto& [uid, f] : flags) sink(uid, f);
    return {};
}

// --- MemoryTarget ---

Result<MemoryFolder*> MemoryTarget::folder_open(const MemoryConnection::Lock& held) {
    (void)held;
    if (c_.open_folder.empty()) return no_folder_open();
    MemoryFolder* f = c_.mailbox().find(c_.open_folder);
    if (!f) return in_folder(make_error(ErrorKind::not_found, Radius::folder, "the folder was deleted"), c_.open_folder);
    return f;
}

Result<std::vector<TargetFolderInfo>> MemoryTarget::list_folders() {
    auto lock = c_.lock();
    if (c_.step(lock, "list_folders") != Fault::none) return c_.lost_error();
    std::vector<TargetFolderInfo> out;
    for (const auto& [name, f] : c_.mailbox().folders_) out.push_back({name, '/', f.role});
    return out;
}

Status MemoryTarget::create_folder(const std::string& name) {
    auto lock = c_.lock();
    if (c_.step(lock, "create_folder") != Fault::none) return c_.lost_error();
    c_.mailbox().ensure_folder(name);
    return {};
}

Result<OpenedTargetFolder> MemoryTarget::open_folder(const std::string& name, bool read_only) {
    (void)read_only;  // nothing here changes a folder by opening it
    auto lock = c_.lock();
    c_.open_folder = name;
    if (c_.step(lock, "open_folder") != Fault::none) return c_.lost_error();
    MemoryFolder* f = c_.mailbox().find(name);
    if (!f) {
        c_.open_folder.clear();
        return in_folder(make_error(ErrorKind::not_found, Radius::folder, "no such folder"), name);
    }
    return OpenedTargetFolder{f->uidvalidity, c_.mailbox().keywords_allowed_};
}

Result<std::vector<TargetMessage>> MemoryTarget::find_messages(const std::string& message_id, uint64_t size,
                                                               int64_t received) {
    auto lock = c_.lock();
    if (c_.step(lock, "find_messages") != Fault::none) return c_.lost_error();
    auto folder = folder_open(lock);
    if (!folder) return folder.error();
    std::vector<TargetMessage> found;
    for (const auto& [uid, m] : (*folder)->messages) {
        TargetMessage t = described(m);
        bool candidate = !message_id.empty()
                             ? header_matches(t.message_id, message_id)
                             : t.size == size && std::abs(t.internaldate - received) <= kTwoDays;
        if (candidate) found.push_back(std::move(t));
    }
    return found;
}

Status MemoryTarget::describe_messages(const std::vector<uint32_t>& sorted_uids,
                                       const std::function<void(const TargetMessage&)>& on_message) {
    std::vector<TargetMessage> described_uids;
    {
        auto lock = c_.lock();
        if (c_.step(lock, "describe_messages") != Fault::none) return c_.lost_error();
        auto folder = folder_open(lock);
        if (!folder) return folder.error();
        for (uint32_t uid : sorted_uids)
            if (auto it = (*folder)->messages.find(uid); it != (*folder)->messages.end())
                described_uids.push_back(described(it->second));
    }
    for (const auto& t : described_uids) on_message(t);
    return {};
}

AppendReply MemoryTarget::receive(const MemoryConnection::Lock& held, MemoryFolder& folder,
                                  const OutgoingMessage& message) {
    (void)held;
    MemoryMailbox& m = c_.mailbox();
    uint64_t number = ++m.appends_received_;
    std::optional<AppendVerdict> verdict;
    if (m.append_hook_) verdict = m.append_hook_(folder.name, message, number);
    AppendReply reply;
    reply.token = message.token;
    if (verdict && verdict->status != "OK") {
        reply.status = verdict->status;
        reply.text = verdict->text;
        return reply;
    }
    Flags flags = Flags::from_imap(message.flags);
    if (!m.keywords_allowed_) flags.keywords.clear();
    uint32_t uid = m.store(folder, message.bytes, std::move(flags), message.internaldate);
    reply.accepted = true;
    reply.status = "OK";
    reply.uidvalidity = folder.uidvalidity;
    reply.uid = uid;
    reply.text = verdict ? verdict->text
                         : "[APPENDUID " + std::to_string(folder.uidvalidity) + " " + std::to_string(uid) +
                               "] APPEND completed";
    return reply;
}

void MemoryTarget::deliver_while_over(size_t owed, const AppendReplyHandler& on_reply) {
    while (owed_.size() > owed) {
        AppendReply reply = std::move(owed_.front());
        owed_.pop_front();
        on_reply(reply);
    }
}

Status MemoryTarget::append(OutgoingMessage message, const AppendReplyHandler& on_reply) {
    {
        auto lock = c_.lock();
        auto folder = folder_open(lock);
        if (!folder) return folder.error();
        Fault fault = c_.step(lock, "append");
        if (fault == Fault::lose_reply) (void)receive(lock, **folder, message);
        if (fault != Fault::none) {
            owed_.clear();  // their messages are stored: only the replies are gone
            return c_.lost_error();
        }
        owed_.push_back(receive(lock, **folder, message));
        c_.count_message();
    }
    deliver_while_over(window_, on_reply);
    return {};
}

Status MemoryTarget::finish_appends(const AppendReplyHandler& on_reply) {
    {
        auto lock = c_.lock();
        if (c_.step(lock, "finish_appends") != Fault::none) {
            owed_.clear();
            return c_.lost_error();
        }
    }
    deliver_while_over(0, on_reply);
    return {};
}

Status MemoryTarget::store_flags(const std::vector<uint32_t>& sorted_uids, const Flags& flags, bool add) {
    auto lock = c_.lock();
    if (c_.step(lock, "store_flags") != Fault::none) return c_.lost_error();
    auto folder = folder_open(lock);
    if (!folder) return folder.error();
    for (uint32_t uid : sorted_uids) {
        auto it = (*folder)->messages.find(uid);
        if (it == (*folder)->messages.end()) continue;
        Flags& f = it->second.flags;
        if (flags.seen) f.seen = add;
        if (flags.answered) f.answered = add;
        if (flags.flagged) f.flagged = add;
        if (flags.draft) f.draft = add;
    }
    return {};
}

Status MemoryTarget::delete_messages(const std::vector<uint32_t>& sorted_uids) {
    auto lock = c_.lock();
    if (c_.step(lock, "delete_messages") != Fault::none) return c_.lost_error();
    auto folder = folder_open(lock);
    if (!folder) return folder.error();
    for (uint32_t uid : sorted_uids) (*folder)->messages.erase(uid);
    ++(*folder)->modseq;
    return {};
}

// --- Factories ---

MemorySourceFactory memory_source_factory(std::shared_ptr<MemoryMailbox> mailbox) {
    return [mailbox]() -> Result<std::unique_ptr<MailSource>> {
        auto c = MemoryConnection::open(mailbox);
        if (!c) return c.error();
        return std::unique_ptr<MailSource>(std::make_unique<MemorySource>(std::move(*c)));
    };
}

MemoryTargetFactory memory_target_factory(std::shared_ptr<MemoryMailbox> mailbox, size_t window) {
    return [mailbox, window]() -> Result<std::unique_ptr<MailTarget>> {
        auto c = MemoryConnection::open(mailbox);
        if (!c) return c.error();
        return std::unique_ptr<MailTarget>(std::make_unique<MemoryTarget>(std::move(*c), window));
    };
}

}  // namespace mailferry::test
