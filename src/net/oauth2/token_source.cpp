#include "net/oauth2/token_source.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "net/oauth2/client_auth.hpp"
#include "net/oauth2/token_endpoint.hpp"

namespace mailferry::net::oauth2 {

TokenSource::TokenSource(TokenStore store, std::string account, wrap::HttpOptions http)
    : store_(std::move(store)), account_(std::move(account)), http_(std::move(http)) {}

bool TokenSource::needs_renewal(const StoredToken& t, int64_t now) {
    if (t.access_token.empty()) return true;
    if (t.expires_at == 0) return false;  // the server never said: use it until it is refused
    const int64_t lifetime = std::max<int64_t>(0, t.expires_at - t.obtained_at);
    const int64_t margin = std::min<int64_t>(300, lifetime / 4);
    return t.expires_at - now <= margin;
}

Result<std::string> TokenSource::access_token() {
    std::lock_guard<std::mutex> hold(mutex_);
    if (!loaded_) {
        auto t = store_.load(account_);
        if (!t) return t.error();
        current_ = std::move(*t);
        loaded_ = true;
    }
    if (!needs_renewal(current_, now_epoch())) return current_.access_token;
    return renew("");
}

Result<std::string> TokenSource::renew_after_rejection(const std::string& rejected) {
    std::lock_guard<std::mutex> hold(mutex_);
    if (loaded_ && current_.access_token != rejected && !needs_renewal(current_, now_epoch()))
        return current_.access_token;  // another connection renewed it meanwhile
    return renew(rejected);
}

// Called with mutex_ held. rejected: the token a server refused, or "" when
// the token is merely about to expire.
Result<std::string> TokenSource::renew(const std::string& rejected) {
    auto lock = store_.lock(account_);
    if (!lock) return lock.error();
    // Another run may have renewed it while we waited for the lock.
    auto on_disk = store_.load(account_);
    if (!on_disk) return on_disk.error();
    current_ = std::move(*on_disk);
    loaded_ = true;
    if (current_.access_token != rejected && !needs_renewal(current_, now_epoch())) return current_.access_token;
    auto fresh = obtain_new(current_, !rejected.empty());
    if (!fresh) return fresh.error();
    MF_TRY(store_.save(*fresh));
    current_ = std::move(*fresh);
    ++refreshes_;
    return current_.access_token;
}

Result<StoredToken> TokenSource::obtain_new(const StoredToken& t, bool rejected) {
    auto client = client_auth_for(t);
    if (!client) return client.error();
    TokenEndpoint endpoint(t.token_url, std::move(*client), http_);
    Result<TokenGrant> grant = make_error(ErrorKind::internal, Radius::fatal, "no grant");
    if (t.flow == "client_credentials") {
        grant = endpoint.client_credentials(t.scope);
    } else if (!t.refresh_token.empty()) {
        grant = endpoint.refresh(t.refresh_token, t.scope);
    } else {
        return make_error(ErrorKind::auth, Radius::account,
                          "the access token of " + t.account + (rejected ? " was rejected" : " has expired") +
                              " and there is no refresh token to get another (sign in with the offline_access "
                              "scope): run 'mailferry auth login " + t.account + "'");
    }
    if (!grant) return grant.error().in("account " + t.account);
    StoredToken next = t;
    const int64_t now = now_epoch();
    next.access_token = grant->access_token;
    if (!grant->refresh_token.empty()) next.refresh_token = grant->refresh_token;  // rotated
    next.obtained_at = now;
    next.expires_at = grant->expires_in > 0 ? now + grant->expires_in : 0;
    next.refreshed_at = now;
    return next;
}

}  // namespace mailferry::net::oauth2
