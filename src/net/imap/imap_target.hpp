// MailTarget over IMAP (include/mailferry/mail_target.hpp): LIST with
// special-use roles, CREATE + SUBSCRIBE, SELECT or EXAMINE, UID SEARCH then
// UID FETCH to find what a lost reply hid, pipelined APPEND (wrap/imap_appender:
// a window of non-synchronizing literals where the server has LITERAL+), and
// UID STORE for \Flagged. Folder names are UTF-8 here and modified UTF-7 on
// the wire.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "mailferry/mail_target.hpp"
#include "net/imap/imap_connection.hpp"
#include "wrap/imap_appender.hpp"

namespace mailferry::net {

// How many APPENDs one connection keeps in flight. The window must cover the
// bandwidth-delay product: at 30 ms round trip and ~50 MB/s that is 1.5 MB,
// about 80 typical messages; the byte cap bounds memory.
struct AppendWindow {
    size_t messages = 128;
    uint64_t bytes = 8ull << 20;
};

class ImapTarget final : public MailTarget {
public:
    ImapTarget(std::unique_ptr<ImapConnection> connection, AppendWindow window)
        : connection_(std::move(connection)), window_(window) {}

    // Connects and logs in (ImapConnection::open's errors, radius account).
    static Result<std::unique_ptr<MailTarget>> open(const ConnectOptions& options, AppendWindow window);

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

private:
    // Other commands may go only when no APPEND reply is owed.
    Status idle_session() const;
    wrap::ImapSession& session() { return connection_->session(); }

    std::unique_ptr<ImapConnection> connection_;
    AppendWindow window_;
    std::string open_raw_;  // the open folder, modified UTF-7
    std::optional<wrap::ImapAppender> appender_;
};

}  // namespace mailferry::net
