#include "net/listener_group.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

namespace mailferry::net {
namespace {

// A pipe whose ends close with it.
struct Pipe {
    int read_end = -1, write_end = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) == 0) read_end = fds[0], write_end = fds[1];
    }
    ~Pipe() {
        if (read_end >= 0) ::close(read_end);
        if (write_end >= 0) ::close(write_end);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    bool ok() const { return read_end >= 0; }
    void signal() const { (void)!::write(write_end, "x", 1); }
};

// Blocks until `ended` (a member finished) or wake_fd is readable; true for wake_fd.
bool wait_for_first(int ended, int wake_fd) {
    for (;;) {
        pollfd fds[2] = {{ended, POLLIN, 0}, {wake_fd, POLLIN, 0}};
        int n = ::poll(fds, wake_fd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;  // cannot happen with valid fds; the members end on their own deadlines
        if (wake_fd >= 0 && fds[1].revents) return true;
        if (fds[0].revents) return false;
    }
}

}  // namespace

Result<ChangeListener::Wake> ListenerGroup::wait(std::chrono::milliseconds max_wait, int wake_fd) {
    if (members_.size() == 1) return members_[0]->wait(max_wait, wake_fd);
    Pipe stop, ended;
    if (!stop.ok() || !ended.ok())
        return make_error(ErrorKind::internal, Radius::account, std::string("pipe: ") + std::strerror(errno));
    std::vector<std::optional<Result<Wake>>> results(members_.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < members_.size(); ++i)
        threads.emplace_back([&, i] {
            results[i] = members_[i]->wait(max_wait, stop.read_end);
            ended.signal();
        });
    const bool woken = wait_for_first(ended.read_end, wake_fd);
    stop.signal();  // stays readable: every member still waiting ends its IDLE
    for (auto& t : threads) t.join();

    bool changed = false;
    for (auto& r : results) {
        if (!*r) return r->error();
        changed |= **r == Wake::changed;
    }
    if (changed) return Wake::changed;
    return woken ? Wake::woken : Wake::timed_out;
}

}  // namespace mailferry::net
