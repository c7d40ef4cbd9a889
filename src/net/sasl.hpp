// The client responses of the SASL mechanisms that carry an OAuth2 bearer
// token, for IMAP and POP3 alike. They hold the token: never log them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "mailferry/result.hpp"
#include "core/secret.hpp"
#include "net/oauth2/token_source.hpp"

namespace mailferry::net {

// XOAUTH2 (Google's and Microsoft's): "user=" user ^A "auth=Bearer " token ^A ^A.
// A server reports failure with a "+ <base64 JSON>" challenge, answered with an empty response.
SecretString xoauth2_response(const std::string& user, const std::string& token);
constexpr const char* xoauth2_failure_ack = "";

// OAUTHBEARER (RFC 7628): "n,a=" saslname "," ^A "host=" host ^A "port=" port ^A "auth=Bearer " token ^A ^A.
SecretString oauthbearer_response(const std::string& user, const std::string& host, uint16_t port,
                                 const std::string& token);
// RFC 7628 §3.2.3: the client answers the error challenge with a single ^A.
constexpr const char* oauthbearer_failure_ack = "AQ==";

// One try with the current token and, should the server refuse it (an
// Error of kind auth), one more with a renewed one: a token can expire or be
// revoked in the middle of a long run, and the next connection must not fail
// for it. Returns present's last result, or the renewal's error; when the
// server refused the renewed token too, explain_refusal says what that means.
Status present_bearer_token(oauth2::TokenSource& tokens, const std::function<Status(const std::string& token)>& present,
                            const std::function<Error(Error)>& explain_refusal);

}  // namespace mailferry::net
