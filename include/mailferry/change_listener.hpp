// ChangeListener: how the watch learns, without polling, that a source
// mailbox changed (IMAP IDLE, RFC 2177). It holds its own connection, apart
// from the ones that fetch. The IMAP adapter is net/imap/imap_listener.hpp.
//
// Ownership and threads: one listener is one connection, used by one thread.
// An error means the connection is of no further use: the caller drops the
// listener and opens another (or falls back to polling).
#pragma once

#include <chrono>

#include "mailferry/result.hpp"

namespace mailferry {

class ChangeListener {
public:
    virtual ~ChangeListener() = default;

    enum class Wake { changed, timed_out, woken };
    // Returns changed as soon as the server reports new mail, a flag change
    // or an expunge in the watched folder; timed_out after max_wait; woken as
    // soon as wake_fd (-1: none) becomes readable. A change that happened
    // since the previous wait ended is reported at once, never lost.
    virtual Result<Wake> wait(std::chrono::milliseconds max_wait, int wake_fd) = 0;
};

}  // namespace mailferry
