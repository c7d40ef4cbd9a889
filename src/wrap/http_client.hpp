// A thin RAII wrapper over libcurl for the few HTTP requests OAuth2 needs:
// form POSTs to token endpoints. Certificates are verified (peer and host
// name) unless the caller's policy says otherwise; redirects are not
// followed; answers are capped in size. Nothing here logs: request bodies
// hold secrets, so errors name only the URL.
//
// Thread-safe: every call uses its own curl handle.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mailferry/result.hpp"

namespace mailferry::wrap {

struct HttpOptions {
    std::string ca_file;      // empty: the system's trust store
    int timeout_seconds = 60;
};

struct HttpResponse {
    long status = 0;
    std::string body;
};

using FormFields = std::vector<std::pair<std::string, std::string>>;

// POST application/x-www-form-urlencoded. Any HTTP status is a response;
// only transport failures are errors (kind tls for a refused certificate,
// temporary for a network failure).
Result<HttpResponse> http_post_form(const std::string& url, const FormFields& fields, const HttpOptions& options);

// A URL as libcurl itself will read it (curl_url()), so that a check of the
// host is a check of where the request goes: "http://localhost:80@evil/" is
// user info "localhost:80" at host "evil", as curl would connect.
struct UrlParts {
    std::string scheme;  // lower case
    std::string host;    // as curl has it; an IPv6 address in brackets
    bool has_userinfo = false;
};
// invalid_data when libcurl cannot parse it.
Result<UrlParts> parse_url(const std::string& url);

// "a=1&b=x%20y": each value percent-encoded (exposed for tests).
std::string form_encode(const FormFields& fields);

}  // namespace mailferry::wrap
