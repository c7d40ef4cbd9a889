// The requests of an OAuth2 client to its authorization server: the device
// authorization grant (RFC 8628), client credentials, and refresh (RFC 6749).
// Answers are parsed here and turned into Results whose messages tell the
// user what to do; no message ever holds a token or a secret.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "mailferry/result.hpp"
#include "core/secret.hpp"
#include "wrap/http_client.hpp"

namespace mailferry::net::oauth2 {

// How the client proves who it is to the token endpoint.
struct ClientAuth {
    std::string client_id;
    SecretString client_secret;  // confidential clients; Google's device flow too
    // private_key_jwt: a signed assertion for this audience (the token URL).
    std::function<Result<std::string>(const std::string& audience)> assertion;
};

struct TokenGrant {
    std::string access_token;
    std::string refresh_token;  // empty when the server sent none
    std::string scope;
    int64_t expires_in = 0;     // seconds; 0 when the server did not say
};

struct DeviceAuthorization {
    std::string device_code;  // secret: never shown
    std::string user_code;
    std::string verification_uri;
    std::string verification_uri_complete;  // may be empty
    std::string message;                    // the server's own instructions, if any
    int64_t expires_in = 900;
    int interval = 5;
};

enum class PollState { granted, pending, slow_down };

struct PollResult {
    PollState state = PollState::pending;
    TokenGrant grant;  // when granted
};

class TokenEndpoint {
public:
    TokenEndpoint(std::string token_url, ClientAuth client, wrap::HttpOptions http);

    Result<DeviceAuthorization> authorize_device(const std::string& device_url, const std::string& scope) const;
    // One poll. A final refusal (declined, expired, unknown code) is an Error of kind auth.
    Result<PollResult> poll_device(const std::string& device_code) const;
    Result<TokenGrant> client_credentials(const std::string& scope) const;
    Result<TokenGrant> refresh(const std::string& refresh_token, const std::string& scope) const;

    const std::string& token_url() const { return token_url_; }

private:
    Result<wrap::HttpResponse> post(const std::string& url, wrap::FormFields fields) const;

    std::string token_url_;
    ClientAuth client_;
    wrap::HttpOptions http_;
};

// Exposed for tests: the grant in a token endpoint's success answer.
Result<TokenGrant> parse_token_answer(const std::string& body, const std::string& url);

}  // namespace mailferry::net::oauth2
