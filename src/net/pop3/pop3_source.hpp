// POP3 as a MailSource: one folder, INBOX. A POP3 message has no UID, only a
// UIDL (RFC 1939 §7), so the cache gives each UIDL a stable UID through the
// UidAssigner; the fetch pipeline then works as for IMAP (only UIDs above
// the highest cached one are retrieved, messages no longer listed are marked
// gone). A server without UIDL: each message's identity is its SHA-256,
// which costs one extra download per message and run (warned).
//
// Two messages with one UIDL are told apart by their SHA-256 (key "UIDL
// sha256:<hex>"), never given one UID between them.
//
// Received dates: the newest Received: header's date, else Date:, else the
// fetch time; which one is recorded with the message. Flags: none (POP3 has
// none). Nothing is deleted unless delete_cached() is called.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "mailferry/mail_source.hpp"
#include "net/pop3/pop3_connection.hpp"

namespace mailferry::net {

class Pop3Source : public MailSource {
public:
    Pop3Source(std::unique_ptr<Pop3Connection> connection, UidAssigner assign_uids,
               std::function<void(const std::string&)> warn);

    Result<std::vector<SourceFolder>> list_folders() override;
    Result<FolderStatus> open_folder(const SourceFolder& folder) override;
    Result<std::vector<MessageRef>> list_messages(uint32_t first_uid) override;
    Status fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) override;
    Status fetch_flags(uint32_t last_uid, const FlagsSink& sink) override;
    // --delete-after-fetch (RFC 1939 §6): DELE each message whose UIDL the
    // cache holds, then QUIT (which is when the server deletes). Without UIDL
    // nothing is deleted and the error says so (kind usage).
    Result<SourceDeletion> delete_cached(const std::set<std::string>& cached_keys) override;

    static constexpr const char* folder_name = "INBOX";
    static constexpr uint32_t uidvalidity = 1;  // UIDs come from the cache and never change meaning

private:
    struct Entry {
        uint32_t number = 0;
        uint64_t size = 0;
        std::string key;  // UIDL, or "sha256:<hex>"
    };
    Result<std::vector<std::string>> hash_keys(const std::vector<wrap::Pop3Listing>& listing);
    Result<std::string> content_hash(const wrap::Pop3Listing& m);
    Status split_duplicate_uidls(const std::vector<wrap::Pop3Listing>& listing, std::vector<std::string>& keys);
    Error message_error(Error e, uint32_t uid) const;

    std::unique_ptr<Pop3Connection> connection_;
    UidAssigner assign_uids_;
    std::function<void(const std::string&)> warn_;
    std::map<uint32_t, Entry> by_uid_;
};

}  // namespace mailferry::net
