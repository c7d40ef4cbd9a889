// The client responses of the SASL mechanisms that carry an OAuth2 bearer
// token, for IMAP and POP3 alike. They hold the token: never log them.
#pragma once

#include <cstdint>
#include <string>

namespace mailferry::net {

// XOAUTH2 (Google's and Microsoft's): "user=" user ^A "auth=Bearer " token ^A ^A.
// A server reports failure with a "+ <base64 JSON>" challenge, answered with an empty response.
std::string xoauth2_response(const std::string& user, const std::string& token);
constexpr const char* xoauth2_failure_ack = "";

// OAUTHBEARER (RFC 7628): "n,a=" saslname "," ^A "host=" host ^A "port=" port ^A "auth=Bearer " token ^A ^A.
std::string oauthbearer_response(const std::string& user, const std::string& host, uint16_t port,
                                 const std::string& token);
// RFC 7628 §3.2.3: the client answers the error challenge with a single ^A.
constexpr const char* oauthbearer_failure_ack = "AQ==";

}  // namespace mailferry::net
