// The device authorization grant (RFC 8628 §3.4-3.5) as a loop: ask for a
// user code, show it, poll the token endpoint every `interval` seconds
// (five more after each slow_down) until the user signs in, declines, or
// the code expires.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "net/oauth2/token_endpoint.hpp"

namespace mailferry::net::oauth2 {

struct DeviceFlowHooks {
    std::function<void(const DeviceAuthorization&)> show;  // tell the user where to go and what to type
    std::function<void(int seconds)> sleep;                 // tests may pass a shorter wait
    std::function<int64_t()> now;                           // epoch seconds
    std::function<void(int new_interval)> slowed_down;      // optional
};

Result<TokenGrant> run_device_flow(const TokenEndpoint& endpoint, const std::string& device_url,
                                   const std::string& scope, const DeviceFlowHooks& hooks);

}  // namespace mailferry::net::oauth2
