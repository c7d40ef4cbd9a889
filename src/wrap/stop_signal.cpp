#include "wrap/stop_signal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

namespace mailferry::wrap {
namespace {

std::atomic<bool> g_requested{false};
int g_pipe[2] = {-1, -1};

void on_signal(int) {
    g_requested.store(true);
    char b = 1;
    ssize_t ignored = ::write(g_pipe[1], &b, 1);  // full pipe: already readable, nothing lost
    (void)ignored;
}

void install_once() {
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return;  // then only the flag works
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    // Reads and writes of a pass go on (SA_RESTART); poll() returns EINTR whatever the flag.
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
}

}  // namespace

StopSignal& StopSignal::install() {
    static StopSignal instance;
    static const bool installed = (install_once(), true);
    (void)installed;
    return instance;
}

bool StopSignal::requested() const { return g_requested.load(); }
int StopSignal::wake_fd() const { return g_pipe[0]; }

}  // namespace mailferry::wrap
