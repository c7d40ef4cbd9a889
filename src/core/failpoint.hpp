// Crash-test hooks: the places where a crash must lose nothing (between a
// file and its index row, around an APPEND and its ledger row...). With
// MAILFERRY_FAILPOINT="name:N" in the environment, the Nth pass through the
// point `name` kills the process at once with SIGKILL, as a power cut would:
// no destructor runs, nothing is flushed. The crash-walk test goes through
// every point; tests/integration/crash_walk_test.cpp lists them.
//
// Built in unless -DMAILFERRY_FAILPOINTS=OFF; unset, a pass costs one
// relaxed atomic load.
#pragma once

namespace mailferry {

#ifdef MAILFERRY_FAILPOINTS
void failpoint(const char* name);
#else
inline void failpoint(const char*) {}
#endif

}  // namespace mailferry
