// ListenerGroup (net/listener_group.hpp): several listeners waited on at
// once. Members here are small fakes whose waits end on a delay, on their
// wake fd, or with an error, so that the group's rules show: the first
// change wakes the others (each then ends its own wait, as an IDLE must be
// closed with DONE), the caller's wake fd ends all, an error wins.
#include <catch2/catch.hpp>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "net/listener_group.hpp"

using namespace mailferry;
using std::chrono::milliseconds;

namespace {

struct Seen {
    std::atomic<int> ended_by_wake{0}, ended{0};
};

// Ends after `after` with `outcome`, or earlier (woken) when wake_fd is readable.
class FakeListener final : public ChangeListener {
public:
    FakeListener(Seen& seen, milliseconds after, Result<Wake> outcome)
        : seen_(seen), after_(after), outcome_(std::move(outcome)) {}
    Result<Wake> wait(milliseconds max_wait, int wake_fd) override {
        pollfd fd{wake_fd, POLLIN, 0};
        const auto limit = std::min(after_, max_wait);
        int n = ::poll(&fd, wake_fd >= 0 ? 1 : 0, static_cast<int>(limit.count()));
        ++seen_.ended;
        if (n > 0) {
            ++seen_.ended_by_wake;
            return Wake::woken;
        }
        return after_ <= max_wait ? outcome_ : Result<Wake>(Wake::timed_out);
    }

private:
    Seen& seen_;
    milliseconds after_;
    Result<Wake> outcome_;
};

std::unique_ptr<ChangeListener> fake(Seen& s, int ms, Result<ChangeListener::Wake> outcome) {
    return std::make_unique<FakeListener>(s, milliseconds(ms), std::move(outcome));
}

net::ListenerGroup group_of(std::unique_ptr<ChangeListener> a, std::unique_ptr<ChangeListener> b) {
    std::vector<std::unique_ptr<ChangeListener>> members;
    members.push_back(std::move(a));
    members.push_back(std::move(b));
    return net::ListenerGroup(std::move(members));
}

}  // namespace

TEST_CASE("listener group: the first change ends every member's wait, and is what the group says", "[watch]") {
    Seen seen;
    auto group = group_of(fake(seen, 60'000, ChangeListener::Wake::changed), fake(seen, 20, ChangeListener::Wake::changed));
    const auto started = std::chrono::steady_clock::now();
    auto woke = group.wait(milliseconds(120'000), -1);
    REQUIRE(woke.ok());
    CHECK(*woke == ChangeListener::Wake::changed);
    CHECK(seen.ended == 2);
    CHECK(seen.ended_by_wake == 1);  // the quiet one was told to stop, not left waiting
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
}

TEST_CASE("listener group: the caller's wake fd ends the wait as woken, every member too", "[watch]") {
    Seen seen;
    auto group = group_of(fake(seen, 60'000, ChangeListener::Wake::changed), fake(seen, 60'000, ChangeListener::Wake::changed));
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], "x", 1) == 1);
    auto woke = group.wait(milliseconds(120'000), fds[0]);
    ::close(fds[0]);
    ::close(fds[1]);
    REQUIRE(woke.ok());
    CHECK(*woke == ChangeListener::Wake::woken);
    CHECK(seen.ended_by_wake == 2);
}

TEST_CASE("listener group: a lost connection in one member is the group's error, a quiet wait times out",
          "[watch]") {
    Seen seen;
    auto lost = group_of(fake(seen, 60'000, ChangeListener::Wake::changed),
                         fake(seen, 10, make_error(ErrorKind::temporary, Radius::account, "connection lost")));
    auto woke = lost.wait(milliseconds(120'000), -1);
    REQUIRE_FALSE(woke.ok());
    CHECK(woke.error().message == "connection lost");

    Seen quiet_seen;
    auto quiet = group_of(fake(quiet_seen, 60'000, ChangeListener::Wake::changed),
                          fake(quiet_seen, 60'000, ChangeListener::Wake::changed));
    auto ran_out = quiet.wait(milliseconds(30), -1);
    REQUIRE(ran_out.ok());
    CHECK(*ran_out == ChangeListener::Wake::timed_out);
}
