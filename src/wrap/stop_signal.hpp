// SIGTERM and SIGINT as a request to stop, for commands that keep running
// (watch): the handler sets a flag and writes a byte to a pipe, so a wait in
// poll() (IDLE, the pause between passes) ends at once instead of at its
// deadline. The self-pipe is the one async-signal-safe way to wake poll().
#pragma once

namespace mailferry::wrap {

class StopSignal {
public:
    // Installs the handlers (once per process) and returns the process's one StopSignal.
    static StopSignal& install();

    bool requested() const;
    // Readable once a stop was requested: for poll().
    int wake_fd() const;

private:
    StopSignal() = default;
};

}  // namespace mailferry::wrap
