// Several ChangeListeners waited on at once: IDLE watches only the folder its
// connection has selected, so INBOX and Sent take one connection each
// (RFC 2177). Each member waits in a thread of its own; the first to end
// wakes the others through the group's pipe, so that every IDLE is closed
// with DONE before wait() returns and the connections stay usable.
#pragma once

#include <memory>
#include <vector>

#include "mailferry/change_listener.hpp"

namespace mailferry::net {

class ListenerGroup final : public ChangeListener {
public:
    explicit ListenerGroup(std::vector<std::unique_ptr<ChangeListener>> members) : members_(std::move(members)) {}

    // changed when any member reports a change, woken when wake_fd became
    // readable, timed_out when every member's wait ran out; the first error
    // when a member lost its connection (the caller then opens a new group).
    Result<Wake> wait(std::chrono::milliseconds max_wait, int wake_fd) override;

private:
    std::vector<std::unique_ptr<ChangeListener>> members_;
};

}  // namespace mailferry::net
