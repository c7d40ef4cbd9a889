#include "net/oauth2/token_endpoint.hpp"
#include "net/oauth2/provider.hpp"

#include <nlohmann/json.hpp>

namespace mailferry::net::oauth2 {
namespace {

using nlohmann::json;

Error auth_error(std::string text) { return make_error(ErrorKind::auth, Radius::account, std::move(text)); }

std::string string_field(const json& j, const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// expires_in and interval are numbers in RFC 6749, strings in some servers' answers.
int64_t number_field(const json& j, const char* name, int64_t fallback) {
    auto it = j.find(name);
    if (it == j.end()) return fallback;
    if (it->is_number_integer()) return it->get<int64_t>();
    if (it->is_number()) return int64_t(it->get<double>());
    if (it->is_string()) {
        try {
            return std::stoll(it->get<std::string>());
        } catch (...) {
        }
    }
    return fallback;
}

std::string first_line(std::string s) {
    s = s.substr(0, s.find_first_of("\r\n"));
    if (s.size() > 300) s = s.substr(0, 300) + "...";
    return s;
}

struct ErrorAnswer {
    std::string code, description;
};

ErrorAnswer error_answer(const std::string& body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return {};
    return {string_field(j, "error"), first_line(string_field(j, "error_description"))};
}

// An answer that is not a success: a message saying what to do about it.
Error endpoint_error(const wrap::HttpResponse& r, const std::string& url, const std::string& what) {
    ErrorAnswer a = error_answer(r.body);
    if (r.status >= 500 || a.code == "temporarily_unavailable" || r.status == 429) {
        Error e = make_error(ErrorKind::temporary, Radius::account,
                             url + " is unavailable (HTTP " + std::to_string(r.status) + ") during " + what);
        e.retry = Retry::later;
        e.server_text = a.description;
        return e;
    }
    std::string hint;
    if (a.code == "invalid_client" || a.code == "unauthorized_client")
        hint = ": the application (client id or secret) was refused; check its registration";
    else if (a.code == "invalid_scope" || a.code == "invalid_target")
        hint = ": the scope was refused; check the API permissions of the application";
    else if (a.code == "invalid_grant")
        hint = ": the grant was refused (expired, revoked or already used)";
    else if (a.code.empty())
        return make_error(ErrorKind::protocol, Radius::account,
                          url + " answered HTTP " + std::to_string(r.status) + " without an OAuth2 error during " + what);
    Error e = auth_error(what + " was refused by " + url + " (" + a.code + ")" + hint);
    e.server_text = a.description;
    return e;
}

}  // namespace

Result<TokenGrant> parse_token_answer(const std::string& body, const std::string& url) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(ErrorKind::protocol, Radius::account, url + " answered with something other than JSON");
    TokenGrant g;
    g.access_token = string_field(j, "access_token");
    g.refresh_token = string_field(j, "refresh_token");
    g.scope = string_field(j, "scope");
    g.expires_in = number_field(j, "expires_in", 0);
    if (g.access_token.empty())
        return make_error(ErrorKind::protocol, Radius::account, url + " answered without an access token");
    return g;
}

TokenEndpoint::TokenEndpoint(std::string token_url, ClientAuth client, wrap::HttpOptions http)
    : token_url_(std::move(token_url)), client_(std::move(client)), http_(std::move(http)) {}

Result<wrap::HttpResponse> TokenEndpoint::post(const std::string& url, wrap::FormFields fields) const {
    fields.emplace_back("client_id", client_.client_id);
    if (!client_.client_secret.empty()) fields.emplace_back("client_secret", client_.client_secret.reveal());
    if (client_.assertion) {
        auto jwt = client_.assertion(url);
        if (!jwt) return jwt.error();
        fields.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        fields.emplace_back("client_assertion", *jwt);
    }
    // Checked before every request, refreshes included: a token file or a
    // configuration changed since sign-in must not send a secret in clear.
    MF_TRY(check_endpoint_url(url));
    return wrap::http_post_form(url, fields, http_);
}

Result<DeviceAuthorization> TokenEndpoint::authorize_device(const std::string& device_url,
                                                           const std::string& scope) const {
    auto r = post(device_url, {{"scope", scope}});
    if (!r) return r.error();
    if (r->status != 200) return endpoint_error(*r, device_url, "the device authorization");
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(ErrorKind::protocol, Radius::account, device_url + " answered with something other than JSON");
    DeviceAuthorization d;
    d.device_code = string_field(j, "device_code");
    d.user_code = string_field(j, "user_code");
    // RFC 8628 says verification_uri; Google says verification_url.
    d.verification_uri = string_field(j, "verification_uri");
    if (d.verification_uri.empty()) d.verification_uri = string_field(j, "verification_url");
    d.verification_uri_complete = string_field(j, "verification_uri_complete");
    d.message = first_line(string_field(j, "message"));
    d.expires_in = number_field(j, "expires_in", 900);
    d.interval = int(std::max<int64_t>(1, number_field(j, "interval", 5)));
    if (d.device_code.empty() || d.user_code.empty() || d.verification_uri.empty())
        return make_error(ErrorKind::protocol, Radius::account,
                          device_url + " answered without a device code, user code or verification URL");
    return d;
}

Result<PollResult> TokenEndpoint::poll_device(const std::string& device_code) const {
    auto r = post(token_url_, {{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                               {"device_code", device_code}});
    if (!r) return r.error();
    PollResult p;
    if (r->status == 200) {
        auto g = parse_token_answer(r->body, token_url_);
        if (!g) return g.error();
        p.state = PollState::granted;
        p.grant = std::move(*g);
        return p;
    }
    ErrorAnswer a = error_answer(r->body);
    if (a.code == "authorization_pending") return p;
    if (a.code == "slow_down") {
        p.state = PollState::slow_down;
        return p;
    }
    // Microsoft's names first, then RFC 8628's.
    if (a.code == "authorization_declined" || a.code == "access_denied")
        return auth_error("the sign-in was declined: nobody granted access (run 'mailferry auth login' again to retry)");
    if (a.code == "expired_token")
        return auth_error("the code expired before the sign-in was completed (run 'mailferry auth login' again)");
    if (a.code == "bad_verification_code" || a.code == "invalid_grant")
        return auth_error("the server does not know this device code any more (run 'mailferry auth login' again)");
    return endpoint_error(*r, token_url_, "the device sign-in");
}

Result<TokenGrant> TokenEndpoint::client_credentials(const std::string& scope) const {
    auto r = post(token_url_, {{"grant_type", "client_credentials"}, {"scope", scope}});
    if (!r) return r.error();
    if (r->status != 200) return endpoint_error(*r, token_url_, "the client-credentials grant");
    return parse_token_answer(r->body, token_url_);
}

Result<TokenGrant> TokenEndpoint::refresh(const std::string& refresh_token, const std::string& scope) const {
    wrap::FormFields fields{{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}};
    if (!scope.empty()) fields.emplace_back("scope", scope);
    auto r = post(token_url_, std::move(fields));
    if (!r) return r.error();
    if (r->status != 200) {
        Error e = endpoint_error(*r, token_url_, "the token refresh");
        if (e.kind == ErrorKind::auth) e.message += "; run 'mailferry auth login' again";
        return e;
    }
    return parse_token_answer(r->body, token_url_);
}

}  // namespace mailferry::net::oauth2
