#include "net/oauth2/device_flow.hpp"

namespace mailferry::net::oauth2 {

Result<TokenGrant> run_device_flow(const TokenEndpoint& endpoint, const std::string& device_url,
                                   const std::string& scope, const DeviceFlowHooks& hooks) {
    auto device = endpoint.authorize_device(device_url, scope);
    if (!device) return device.error();
    hooks.show(*device);
    const int64_t deadline = hooks.now() + device->expires_in;
    int interval = device->interval;
    for (;;) {
        hooks.sleep(interval);
        auto poll = endpoint.poll_device(device->device_code);
        if (!poll) {
            // A network hiccup while the user is still typing is no reason
            // to make them start over: keep polling until the code expires.
            if (poll.error().kind != ErrorKind::temporary || hooks.now() >= deadline) return poll.error();
            continue;
        }
        if (poll->state == PollState::granted) return std::move(poll->grant);
        if (poll->state == PollState::slow_down) {
            interval += 5;  // RFC 8628 §3.5
            if (hooks.slowed_down) hooks.slowed_down(interval);
        }
        if (hooks.now() >= deadline)
            return make_error(ErrorKind::auth, Radius::account,
                              "the code expired before the sign-in was completed (run 'mailferry auth login' again)");
    }
}

}  // namespace mailferry::net::oauth2
