// ChangeListener over IMAP IDLE (include/mailferry/change_listener.hpp): its
// own connection, one folder opened read-only (EXAMINE), IDLE re-issued at
// least every 29 minutes (RFC 2177 §3: servers may drop a client idle for 30).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mailferry/change_listener.hpp"
#include "net/imap/imap_connection.hpp"

namespace mailferry::net {

class ImapIdleListener final : public ChangeListener {
public:
    static constexpr std::chrono::minutes kMaxIdle{29};

    // Connects, logs in and examines the folder: "INBOX", a folder's name
    // (UTF-8), or a special use such as "\\Sent" (the folder LIST marks so).
    // A server without the IDLE capability gives an error of kind usage (the
    // watch then polls); a folder that is not there, one of kind not_found.
    static Result<std::unique_ptr<ChangeListener>> open(const ConnectOptions& options,
                                                        const std::string& folder = "INBOX");
    // One listener per folder, waited on together (net/listener_group.hpp).
    static Result<std::unique_ptr<ChangeListener>> open_all(const ConnectOptions& options,
                                                            const std::vector<std::string>& folders);

    Result<Wake> wait(std::chrono::milliseconds max_wait, int wake_fd) override;

private:
    explicit ImapIdleListener(std::unique_ptr<ImapConnection> c) : connection_(std::move(c)) {}
    std::unique_ptr<ImapConnection> connection_;
};

}  // namespace mailferry::net
