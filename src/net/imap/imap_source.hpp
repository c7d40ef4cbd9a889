// MailSource over IMAP: LIST with special-use roles (XLIST where that is all
// the server has), EXAMINE, and UID FETCH in the batches the pipeline asks for.
#pragma once

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

private:
    std::unique_ptr<ImapConnection> connection_;
    std::string open_folder_;
};

// The RFC 6154 role for a LIST or XLIST attribute list, or "".
std::string special_use_role(const std::vector<std::string>& attributes);

}  // namespace mailferry::net
