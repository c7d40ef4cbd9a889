#include "net/pop3/pop3_source.hpp"

#include <map>

#include "core/clock.hpp"
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
        auto hash = content_hash(m);
        if (!hash) return hash.error();
        keys.push_back("sha256:" + *hash);
    }
    return keys;
}

Result<std::string> Pop3Source::content_hash(const wrap::Pop3Listing& m) {
    std::string hash;
    Status s = connection_->session().retr(m.number, [&](std::string_view bytes) {
        hash = wrap::sha256_hex(bytes);
        return Status{};
    }, m.size);
    if (!s) return s.error();
    return hash;
}

// Two messages with one UIDL (a broken server, or one that reuses UIDLs) must
// not become one message with one UID: the first would never be fetched, and
// --delete-after-fetch would delete both. Each such message is known by its
// UIDL and its SHA-256 instead, which costs one more download of each.
Status Pop3Source::split_duplicate_uidls(const std::vector<wrap::Pop3Listing>& listing,
                                         std::vector<std::string>& keys) {
    std::map<std::string, int> seen;
    for (const auto& k : keys) ++seen[k];
    size_t duplicates = 0;
    for (size_t i = 0; i < listing.size(); ++i) {
        if (seen[keys[i]] < 2) continue;
        auto hash = content_hash(listing[i]);
        if (!hash) return hash.error();
        keys[i] += " sha256:" + *hash;
        ++duplicates;
    }
    if (duplicates && warn_)
        warn_("warning: the POP3 server gives " + std::to_string(duplicates) +
              " messages a UIDL that another message has too: each is known by its UIDL and SHA-256 instead");
    return {};
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
    } else {
        MF_TRY(split_duplicate_uidls(*listing, keys));
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
        Status s = connection_->session().retr(e.number, [&](std::string_view bytes) {
            FetchedMessage m;
            m.uid = uid;
            mime::ReceivedDate date = mime::received_date(bytes, now_epoch());
            m.received = date.when;
            m.received_from = date.from;
            m.bytes = bytes;
            m.source_key = e.key;
            return sink(m);
        }, e.size);
        if (!s) return message_error(s.error(), uid);
    }
    return {};
}

// A message refused for its size, or cut off by the whole-message deadline,
// fails alone: radius message, named "UID n" as the pipeline reads it
// (fetch.hpp). A connection lost in the middle names the message too.
Error Pop3Source::message_error(Error e, uint32_t uid) const {
    if (e.kind == ErrorKind::io) return e;  // the cache's, not the server's
    if (e.kind == ErrorKind::too_big || connection_->session().stopped_by_limit()) e.radius = Radius::message;
    e.in("UID " + std::to_string(uid));
    return e;
}

Status Pop3Source::fetch_flags(uint32_t last_uid, const FlagsSink& sink) {
    // No flags in POP3; reporting every listed message keeps the others marked gone.
    for (auto it = by_uid_.begin(); it != by_uid_.end() && it->first <= last_uid; ++it) sink(it->first, Flags{});
    return {};
}

Result<SourceDeletion> Pop3Source::delete_cached(const std::set<std::string>& cached_keys) {
    auto listing = connection_->session().list(/*with_uidl=*/true);
    if (!listing) return listing.error();
    std::map<std::string, int> uses;
    for (const auto& m : *listing) {
        if (m.uidl.empty())
            return make_error(ErrorKind::usage, Radius::account,
                              "not deleting anything: the server has no UIDL, so cached messages cannot be told apart");
        ++uses[m.uidl];
    }
    SourceDeletion done;
    for (const auto& m : *listing) {
        // A UIDL two messages share names neither for sure: the cache may hold
        // one of them only (the fetch keys such messages by their SHA-256 too).
        if (uses[m.uidl] > 1) {
            ++done.kept_shared_key;
            continue;
        }
        if (!cached_keys.count(m.uidl)) continue;
        MF_TRY(connection_->session().dele(m.number));
        ++done.deleted;
    }
    MF_TRY(connection_->session().quit());
    return done;
}

}  // namespace mailferry::net
