// Process-wide protections for a program that holds passwords and tokens.
#pragma once

namespace mailferry::wrap {

// No core file, and no ptrace or /proc/<pid>/mem reading by other processes
// of the same user (PR_SET_DUMPABLE 0): a crash must not write a password,
// an access token or a message to disk where the core pattern puts it.
// Best effort: a failure leaves the process as it was.
void forbid_core_dumps();

}  // namespace mailferry::wrap
