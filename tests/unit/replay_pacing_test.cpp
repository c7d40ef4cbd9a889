// The replay's rate caps (--max-messages-per-second, --max-bytes-per-second).
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "pipeline/replay_state.hpp"

using mailferry::pipeline::detail::RateLimiter;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_for(RateLimiter& limiter, int messages, uint64_t size) {
    auto started = Clock::now();
    for (int i = 0; i < messages; ++i) limiter.acquire(size);
    return std::chrono::duration<double>(Clock::now() - started).count();
}

}  // namespace

// Lower bounds only: a slow machine makes these runs longer, never shorter.
TEST_CASE("rate caps: a pause earns no burst afterwards", "[replay][pacing]") {
    SECTION("messages per second") {
        RateLimiter limiter(20, 0);
        seconds_for(limiter, 2, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(600));  // a throttle pause
        // 6 messages at 20/s take at least 0.3 s; counting from the start they went at once.
        CHECK(seconds_for(limiter, 6, 0) >= 0.25);
    }
    SECTION("bytes per second") {
        RateLimiter limiter(0, 100000);
        seconds_for(limiter, 1, 10000);
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        CHECK(seconds_for(limiter, 5, 10000) >= 0.4);  // 50 KB at 100 KB/s
    }
    SECTION("no caps, no wait") {
        RateLimiter limiter(0, 0);
        CHECK(seconds_for(limiter, 1000, 1 << 20) < 5.0);
    }
}
