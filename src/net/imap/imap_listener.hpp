// ChangeListener over IMAP IDLE (include/mailferry/change_listener.hpp): its
// own connection, INBOX opened read-only (EXAMINE), IDLE re-issued at least
// every 29 minutes (RFC 2177 §3: servers may drop a client idle for 30).
#pragma once

#include <memory>

#include "mailferry/change_listener.hpp"
#include "net/imap/imap_connection.hpp"

namespace mailferry::net {

class ImapIdleListener final : public ChangeListener {
public:
    static constexpr std::chrono::minutes kMaxIdle{29};

    // Connects, logs in and examines INBOX. A server without the IDLE
    // capability gives an error of kind usage: the watch then polls.
    static Result<std::unique_ptr<ChangeListener>> open(const ConnectOptions& options);

    Result<Wake> wait(std::chrono::milliseconds max_wait, int wake_fd) override;

private:
    explicit ImapIdleListener(std::unique_ptr<ImapConnection> c) : connection_(std::move(c)) {}
    std::unique_ptr<ImapConnection> connection_;
};

}  // namespace mailferry::net
