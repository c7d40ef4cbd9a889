#include "net/imap/imap_target.hpp"

#include <algorithm>

#include "core/mutf7.hpp"
#include "mime/header_fields.hpp"
#include "net/imap/imap_source.hpp"

namespace mailferry::net {
namespace {

// UID FETCHes of at most this many UIDs: a folder's scattered UIDs in one
// command would pass Exchange's line limit (docs/office365.md).
constexpr size_t kFetchChunk = 500;

// UID FETCH of these sorted UIDs in chunks of kFetchChunk.
Status fetch_in_chunks(wrap::ImapSession& session, const std::vector<uint32_t>& sorted_uids, unsigned items,
                       const std::function<void(const wrap::MessageAttributes&)>& on_message) {
    for (size_t i = 0; i < sorted_uids.size(); i += kFetchChunk) {
        std::vector<uint32_t> chunk(sorted_uids.begin() + static_cast<long>(i),
                                    sorted_uids.begin() + static_cast<long>(std::min(sorted_uids.size(), i + kFetchChunk)));
        MF_TRY(session.uid_fetch(wrap::compress_uids(chunk), items, on_message));
    }
    return {};
}

AppendReply from_wire(const wrap::AppendReply& r) {
    AppendReply out;
    out.token = r.token;
    out.accepted = r.status == "OK";
    out.status = r.status;
    out.text = r.text;
    out.uidvalidity = r.uidvalidity;
    out.uid = r.uid;
    return out;
}

}  // namespace

Result<std::unique_ptr<MailTarget>> ImapTarget::open(const ConnectOptions& options, AppendWindow window) {
    auto connection = ImapConnection::open(options);
    if (!connection) return connection.error();
    return std::unique_ptr<MailTarget>(std::make_unique<ImapTarget>(std::move(*connection), window));
}

Status ImapTarget::idle_session() const {
    if (appender_ && !appender_->outstanding().empty())
        return make_error(ErrorKind::internal, Radius::account, "an IMAP command while APPEND replies are owed");
    return {};
}

Result<std::vector<TargetFolderInfo>> ImapTarget::list_folders() {
    MF_TRY(idle_session());
    auto listed = session().list("*", false);
    if (!listed) return listed.error();
    std::vector<TargetFolderInfo> out;
    for (const auto& e : *listed) {
        auto name = mutf7_decode(e.raw_name);
        out.push_back({name ? *name : e.raw_name, e.delimiter, special_use_role(e.attributes)});
    }
    return out;
}

Status ImapTarget::create_folder(const std::string& name) {
    MF_TRY(idle_session());
    std::string raw = mutf7_encode(name);
    MF_TRY(session().create(raw));
    (void)session().subscribe(raw);  // a server without subscriptions is no reason to stop
    return {};
}

Result<OpenedTargetFolder> ImapTarget::open_folder(const std::string& name, bool read_only) {
    MF_TRY(idle_session());
    appender_.reset();
    std::string raw = mutf7_encode(name);
    OpenedTargetFolder opened;
    auto selected = read_only ? session().examine(raw) : session().select(raw, &opened.keywords_allowed);
    if (!selected) return selected.error();
    opened.uidvalidity = selected->uidvalidity;
    open_raw_ = raw;
    return opened;
}

Result<std::vector<TargetMessage>> ImapTarget::find_messages(const std::string& message_id, uint64_t size,
                                                             int64_t received) {
    MF_TRY(idle_session());
    auto uids = message_id.empty() ? session().uid_search_size_date(size, received)
                                   : session().uid_search_header("Message-ID", message_id);
    if (!uids) return uids.error();
    std::vector<TargetMessage> out;
    if (uids->empty()) return out;
    std::sort(uids->begin(), uids->end());
    MF_TRY(fetch_in_chunks(session(), *uids, wrap::fetch_uid | wrap::fetch_size | wrap::fetch_internaldate,
                           [&](const wrap::MessageAttributes& a) { out.push_back({a.uid, a.size, a.internaldate, ""}); }));
    return out;
}

Status ImapTarget::describe_messages(const std::vector<uint32_t>& sorted_uids,
                                     const std::function<void(const TargetMessage&)>& on_message) {
    MF_TRY(idle_session());
    return fetch_in_chunks(session(), sorted_uids, wrap::fetch_uid | wrap::fetch_size | wrap::fetch_message_id,
                           [&](const wrap::MessageAttributes& a) {
                               on_message({a.uid, a.size, a.internaldate,
                                           mime::read_header_fields(a.header_fields).message_id});
                           });
}

Status ImapTarget::append(OutgoingMessage message, const AppendReplyHandler& on_reply) {
    if (!appender_)
        appender_.emplace(session(), connection_->has_capability("LITERAL+"), window_.messages, window_.bytes);
    wrap::AppendCommand c;
    c.token = message.token;
    c.mailbox = open_raw_;
    c.flags = std::move(message.flags);
    c.internaldate = message.internaldate;
    c.literal = std::move(message.bytes);
    return appender_->submit(std::move(c), [&](const wrap::AppendReply& r) { on_reply(from_wire(r)); });
}

Status ImapTarget::finish_appends(const AppendReplyHandler& on_reply) {
    if (!appender_) return {};
    return appender_->drain([&](const wrap::AppendReply& r) { on_reply(from_wire(r)); });
}

Status ImapTarget::delete_messages(const std::vector<uint32_t>& sorted_uids) {
    MF_TRY(idle_session());
    if (sorted_uids.empty()) return {};
    if (!connection_->has_capability("UIDPLUS"))
        return make_error(ErrorKind::usage, Radius::fatal,
                          "--propagate-deletes: the target does not offer UIDPLUS, and a plain EXPUNGE would "
                          "also remove what others marked \\Deleted: nothing deleted");
    return session().uid_delete(wrap::compress_uids(sorted_uids));
}

Status ImapTarget::store_flags(const std::vector<uint32_t>& sorted_uids, const Flags& flags, bool add) {
    MF_TRY(idle_session());
    if (sorted_uids.empty()) return {};
    return session().uid_store_flags(wrap::compress_uids(sorted_uids), flags, add);
}

}  // namespace mailferry::net
