#include "net/oauth2/provider.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/ascii.hpp"
#include "wrap/http_client.hpp"

namespace mailferry::net::oauth2 {
namespace {

Error usage(std::string text) { return make_error(ErrorKind::usage, Radius::fatal, std::move(text)); }

using ascii::lower;

struct MailHost {
    const char* host;
    const char* provider;
};

// Hosts where basic authentication is off for good.
constexpr std::array<MailHost, 7> oauth_only_hosts{{
    {"outlook.office365.com", "microsoft"},
    {"outlook.office.com", "microsoft"},
    {"imap-mail.outlook.com", "microsoft"},
    {"pop-mail.outlook.com", "microsoft"},
    {"imap.gmail.com", "google"},
    {"pop.gmail.com", "google"},
    {"imap.googlemail.com", "google"},
}};

}  // namespace

Result<ProviderEndpoints> provider_endpoints(const std::string& provider, const std::string& tenant) {
    ProviderEndpoints p;
    p.provider = provider;
    if (provider == "microsoft") {
        const std::string base = "https://login.microsoftonline.com/" + (tenant.empty() ? "organizations" : tenant) +
                                 "/oauth2/v2.0/";
        p.device_code_url = base + "devicecode";
        p.token_url = base + "token";
        p.delegated_scope = "https://outlook.office.com/IMAP.AccessAsUser.All "
                            "https://outlook.office.com/POP.AccessAsUser.All offline_access";
        p.app_scope = "https://outlook.office365.com/.default";
        return p;
    }
    if (provider == "google") {
        if (!tenant.empty()) return usage("--tenant is for --provider microsoft only");
        p.device_code_url = "https://oauth2.googleapis.com/device/code";
        p.token_url = "https://oauth2.googleapis.com/token";
        p.delegated_scope = "https://mail.google.com/";
        return p;
    }
    if (provider == "custom") {
        if (!tenant.empty()) return usage("--tenant is for --provider microsoft only");
        return p;
    }
    return usage("unknown OAuth2 provider '" + provider + "' (microsoft, google or custom)");
}

std::string provider_for_host(const std::string& host) {
    const std::string h = lower(host);
    for (const auto& m : oauth_only_hosts)
        if (h == m.host) return m.provider;
    return "";
}

Status check_endpoint_url(const std::string& url) {
    // Read as libcurl reads it (a hand split once took the user info of
    // "http://localhost:80@evil.example/" for the host). The URL itself is
    // not repeated in errors: it could carry user info.
    auto parts = wrap::parse_url(url);
    if (!parts) return usage("the OAuth2 endpoint is not a URL that can be used");
    if (parts->has_userinfo) return usage("refusing an OAuth2 endpoint with user info (USER@ in the URL)");
    if (parts->scheme == "https") return {};
    if (parts->scheme != "http") return usage("the OAuth2 endpoint is not an http(s) URL");
    const std::string host = lower(parts->host);
    in_addr v4{};
    const bool loopback_v4 = ::inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
    if (host == "localhost" || host == "[::1]" || loopback_v4) return {};
    return usage("refusing the OAuth2 endpoint at " + host +
                 ": tokens and secrets must not travel unencrypted (use https://; http:// is for loopback only)");
}

}  // namespace mailferry::net::oauth2
