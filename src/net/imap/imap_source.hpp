// MailSource over IMAP: LIST with special-use roles (XLIST where that is all
// the server has), EXAMINE, and UID FETCH in the batches the pipeline asks for.
//
// The FETCHes are read by a reader of our own, not libetpan's (which reads a
// literal of any announced size into memory and wraps numbers at 2^32): a body
// over the session's max_message_size is refused before a byte of it is read,
// each response has the whole-message deadline of the session's guard, FETCH
// responses for UIDs that were not asked for are ignored, and a UID above
// 4294967295 is nobody's. A message-level failure comes back as an error of
// radius message naming "UID n" in its context (pipeline/fetch.hpp); the
// connection is then spent.
#pragma once

#include <map>
#include <memory>

#include "mailferry/mail_source.hpp"
#include "net/imap/imap_connection.hpp"

namespace mailferry::net {

class ImapSource final : public MailSource {
public:
    explicit ImapSource(std::unique_ptr<ImapConnection> connection)
        : connection_(std::move(connection)) {}

    Result<std::vector<SourceFolder>> list_folders() override;
    Result<FolderStatus> open_folder(const SourceFolder& folder) override;
    Result<std::vector<MessageRef>> list_messages(uint32_t first_uid) override;
    Status fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) override;
    Status fetch_flags(uint32_t last_uid, const FlagsSink& sink) override;
    Status fetch_flag_changes(uint32_t last_uid, uint64_t since_modseq, const FlagsSink& sink) override;
    Result<std::optional<FolderStatus>> peek_status(const SourceFolder& folder) override;

private:
    std::unique_ptr<ImapConnection> connection_;
    std::string open_folder_;
    // Sequence number to UID, from the last listing: names the message of a
    // response that breaks off before its UID came.
    std::map<uint64_t, uint32_t> seq_to_uid_;
};

// The RFC 6154 role for a LIST or XLIST attribute list, or "".
std::string special_use_role(const std::vector<std::string>& attributes);

}  // namespace mailferry::net
