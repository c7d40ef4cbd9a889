// Access tokens for a run: the token of one stored account, refreshed before
// it expires and once more when a server refuses it, with the rotated
// refresh token written back to the store at once (Microsoft and
// oidc-provider hand out a new one on every use, and the old one dies).
//
// Thread-safe: the connections of a run share one TokenSource. Runs (even
// processes) sharing a store serialise refreshes through the store's lock and
// re-read the file under it, so a refresh token is never spent twice.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "net/oauth2/token_store.hpp"
#include "wrap/http_client.hpp"

namespace mailferry::net::oauth2 {

class TokenSource {
public:
    TokenSource(TokenStore store, std::string account, wrap::HttpOptions http);

    // An access token valid for at least the refresh margin.
    Result<std::string> access_token();
    // A server refused `rejected`: refresh now, unless another connection
    // already replaced it.
    Result<std::string> renew_after_rejection(const std::string& rejected);

    const std::string& account() const { return account_; }
    int refreshes() const { return refreshes_; }

    // A token needs renewing when less than min(5 minutes, a quarter of its
    // lifetime) is left: Microsoft's tokens live 60-90 minutes, a test's 60 s.
    static bool needs_renewal(const StoredToken& t, int64_t now);

private:
    Result<std::string> renew(const std::string& rejected);
    Result<StoredToken> obtain_new(const StoredToken& t, bool rejected);

    TokenStore store_;
    std::string account_;
    wrap::HttpOptions http_;
    std::mutex mutex_;
    StoredToken current_;
    bool loaded_ = false;
    std::atomic<int> refreshes_{0};
};

}  // namespace mailferry::net::oauth2
