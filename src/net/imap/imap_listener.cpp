#include "net/imap/imap_listener.hpp"

#include <algorithm>

namespace mailferry::net {

Result<std::unique_ptr<ChangeListener>> ImapIdleListener::open(const ConnectOptions& options) {
    auto connection = ImapConnection::open(options);
    if (!connection) return connection.error();
    if (!(*connection)->has_capability("IDLE"))
        return make_error(ErrorKind::usage, Radius::account, "the server does not offer IDLE");
    auto examined = (*connection)->session().examine("INBOX");
    if (!examined) return examined.error();
    return std::unique_ptr<ChangeListener>(new ImapIdleListener(std::move(*connection)));
}

Result<ChangeListener::Wake> ImapIdleListener::wait(std::chrono::milliseconds max_wait, int wake_fd) {
    auto ended = connection_->session().idle(std::min<std::chrono::milliseconds>(max_wait, kMaxIdle), wake_fd);
    if (!ended) return ended.error();
    switch (*ended) {
    case wrap::ImapSession::IdleEnd::changed: return Wake::changed;
    case wrap::ImapSession::IdleEnd::woken: return Wake::woken;
    case wrap::ImapSession::IdleEnd::timed_out: break;
    }
    return Wake::timed_out;
}

}  // namespace mailferry::net
