#include "net/pop3/pop3_source.hpp"

#include "mailferry/clock.hpp"
#include "mime/message_date.hpp"
#include "wrap/sha256.hpp"

namespace mailferry::net {

Pop3Source::Pop3Source(std::unique_ptr<Pop3Connection> connection, UidAssigner assign_uids,
                       std::function<void(const std::string&)> warn)
    : connection_(std::move(connection)), assign_uids_(std::move(assign_uids)), warn_(std::move(warn)) {}

Result<std::vector<SourceFolder>> Pop3Source::list_folders() {
    SourceFolder inbox;
    inbox.raw_name = inbox.name = folder_name;
    inbox.delimiter = '\0';
    return std::vector<SourceFolder>{inbox};
}

Result<std::vector<std::string>> Pop3Source::hash_keys(const std::vector<wrap::Pop3Listing>& listing) {
    if (warn_)
        warn_("warning: the POP3 server has no UIDL: every message is downloaded once more to recognise it by its SHA-256");
    std::vector<std::string> keys;
    for (const auto& m : listing) {
        MF_TRY(connection_->session().retr(m.number, [&](std::string_view bytes) {
            keys.push_back("sha256:" + wrap::sha256_hex(bytes));
            return Status{};
        }));
    }
    return keys;
}

Result<FolderStatus> Pop3Source::open_folder(const SourceFolder&) {
    const bool uidl = connection_->has_capability("UIDL") || !connection_->knows_capabilities();
    auto listing = connection_->session().list(uidl);
    if (!listing) return listing.error();
    std::vector<std::string> keys;
    bool complete = uidl;
    for (const auto& m : *listing) {
        keys.push_back(m.uidl);
        complete = complete && !m.uidl.empty();
    }
    if (!complete) {
        auto hashed = hash_keys(*listing);
        if (!hashed) return hashed.error();
        keys = std::move(*hashed);
    }
    auto uids = assign_uids_(folder_name, keys);
    if (!uids) return uids.error();
    by_uid_.clear();
    for (size_t i = 0; i < listing->size(); ++i)
        by_uid_[(*uids)[i]] = Entry{(*listing)[i].number, (*listing)[i].size, keys[i]};
    FolderStatus status;
    status.uidvalidity = uidvalidity;
    status.exists = static_cast<uint32_t>(listing->size());
    status.uidnext = by_uid_.empty() ? 1 : by_uid_.rbegin()->first + 1;
    return status;
}

Result<std::vector<MessageRef>> Pop3Source::list_messages(uint32_t first_uid) {
    std::vector<MessageRef> refs;
    for (auto it = by_uid_.lower_bound(first_uid); it != by_uid_.end(); ++it)
        refs.push_back(MessageRef{it->first, it->second.size});
    return refs;
}

Status Pop3Source::fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) {
    for (uint32_t uid : uids) {
        auto it = by_uid_.find(uid);
        if (it == by_uid_.end()) continue;
        const Entry& e = it->second;
        MF_TRY(connection_->session().retr(e.number, [&](std::string_view bytes) {
            FetchedMessage m;
            m.uid = uid;
            mime::ReceivedDate date = mime::received_date(bytes, now_epoch());
            m.received = date.when;
            m.received_from = date.from;
            m.bytes = bytes;
            m.source_key = e.key;
            return sink(m);
        }));
    }
    return {};
}

Status Pop3Source::fetch_flags(uint32_t last_uid, const FlagsSink& sink) {
    // No flags in POP3; reporting every listed message keeps the others marked gone.
    for (auto it = by_uid_.begin(); it != by_uid_.end() && it->first <= last_uid; ++it) sink(it->first, Flags{});
    return {};
}

}  // namespace mailferry::net
