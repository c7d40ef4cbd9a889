// The OAuth2 identity providers mailferry knows, as one table: their
// endpoints, their scopes for IMAP/POP, and which mail hosts take only
// OAuth2 (docs/office365.md, "OAuth2"). Every endpoint can be overridden; that is
// how the tests point mailferry at a local authorization server.
#pragma once

#include <string>

#include "mailferry/result.hpp"

namespace mailferry::net::oauth2 {

struct ProviderEndpoints {
    std::string provider;          // "microsoft", "google", "custom"
    std::string device_code_url;   // RFC 8628 device authorization endpoint
    std::string token_url;
    std::string delegated_scope;   // a user signing in for their own mailbox
    std::string app_scope;         // client credentials (app-only)
};

// The endpoints of a provider; tenant only matters for microsoft (GUID,
// domain, "organizations" or "common"; default "organizations"). "custom"
// has none: the caller must give every URL and scope.
Result<ProviderEndpoints> provider_endpoints(const std::string& provider, const std::string& tenant);

// "microsoft" or "google" for mail hosts that take only OAuth2, else "".
std::string provider_for_host(const std::string& host);

// An endpoint must be https://, or http:// to a loopback address (a local
// test server or a tunnel the user set up): tokens never travel in clear
// over a network.
Status check_endpoint_url(const std::string& url);

}  // namespace mailferry::net::oauth2
