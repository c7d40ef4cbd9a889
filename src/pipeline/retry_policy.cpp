#include "pipeline/retry_policy.hpp"

#include <algorithm>
#include <thread>

#include "net/target_profile.hpp"

namespace mailferry::pipeline {

bool RetryPolicy::ends_run(const Error& e) {
    return e.kind == ErrorKind::auth || e.kind == ErrorKind::tls || e.kind == ErrorKind::io ||
           e.kind == ErrorKind::quota || e.kind == ErrorKind::internal || e.radius == Radius::fatal;
}

std::chrono::milliseconds RetryPolicy::delay(const Error& e, int stalled, std::mt19937& rng) const {
    uint64_t base = static_cast<uint64_t>(first_delay.count()) << std::clamp(stalled, 0, std::max(0, max_doublings));
    std::uniform_int_distribution<uint64_t> jitter(0, base / 2);
    uint64_t ms = base + jitter(rng);
    // At least what the server asked for (capped in target_profile.cpp).
    if (auto asked = net::TargetProfile::suggested_backoff_ms(e.server_text)) ms = std::max(ms, *asked + 50);
    return std::chrono::milliseconds(ms);
}

void RetryPolicy::pause(const Error& e, int stalled, std::mt19937& rng) const {
    auto d = delay(e, stalled, rng);
    if (sleep) sleep(d);
    else std::this_thread::sleep_for(d);
}

}  // namespace mailferry::pipeline
