// One planned folder replayed over one connection: create and select the
// target folder, resolve what a dead run left pending, send the rest through
// the pipelined appender, and set \\Flagged afterwards where the profile says so.
#pragma once

#include <cstdint>

#include "pipeline/replay_state.hpp"

namespace mailferry::pipeline::detail {

struct FolderOutcome {
    Status status;              // an account-level error: replace the connection
    uint64_t progress = 0;      // messages appended or found on the target
};

// final_sweep: the run's last visit, which waits for young pending messages.
FolderOutcome replay_folder(RunState& st, MailTarget& target, size_t index, bool final_sweep);

}  // namespace mailferry::pipeline::detail
