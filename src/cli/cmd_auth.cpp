// mailferry auth login|status|logout: OAuth2 sign-in and the token store.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "pipeline/report_json.hpp"
#include "cli/connect.hpp"
#include "cli/options.hpp"
#include "core/clock.hpp"
#include "net/oauth2/client_auth.hpp"
#include "net/oauth2/device_flow.hpp"
#include "net/oauth2/provider.hpp"
#include "net/oauth2/token_store.hpp"
#include "wrap/secret_file.hpp"

namespace mailferry::cli {
namespace {

using net::oauth2::StoredToken;
using net::oauth2::TokenStore;

Error usage(std::string text) { return make_error(ErrorKind::usage, Radius::fatal, std::move(text)); }

TokenStore store_of(const std::string& dir) { return TokenStore(dir.empty() ? TokenStore::default_dir() : dir); }

std::string absolute(const std::string& path) {
    return path.empty() ? path : std::filesystem::absolute(path).lexically_normal().string();
}

// The owner and mode checks of every secret file (wrap/secret_file): a file
// others can change or that another user owns is refused, a readable one warned.
Status check_credential_file(const std::string& path, const std::string& what) {
    if (path.empty()) return {};
    auto warning = wrap::check_secret_file(path, what, wrap::OthersMayRead::warn);
    if (!warning) return warning.error();
    if (!warning->empty()) std::cerr << *warning << "\n";
    return {};
}

// "52 min", "3 h 05 min", "expired 4 min ago"
std::string remaining(int64_t expires_at, int64_t now) {
    if (expires_at == 0) return "unknown";
    int64_t left = expires_at - now;
    auto span = [](int64_t s) {
        if (s < 120) return std::to_string(s) + " s";
        if (s < 7200) return std::to_string(s / 60) + " min";
        return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
    };
    return left >= 0 ? "valid for " + span(left) : "expired " + span(-left) + " ago";
}

// The endpoints and scope: the provider's, each overridable; all checked.
Result<StoredToken> describe_login(const AuthArgs& a, bool app_only) {
    auto endpoints = net::oauth2::provider_endpoints(a.provider, a.tenant);
    if (!endpoints) return endpoints.error();
    StoredToken t;
    t.account = a.account;
    t.provider = a.provider;
    t.flow = app_only ? "client_credentials" : "device";
    t.client_id = a.client_id;
    t.tenant = a.provider == "microsoft" ? (a.tenant.empty() ? "organizations" : a.tenant) : "";
    t.token_url = a.token_url.empty() ? endpoints->token_url : a.token_url;
    t.scope = !a.scope.empty() ? a.scope : app_only ? endpoints->app_scope : endpoints->delegated_scope;
    t.client_secret_file = absolute(a.client_secret_file);
    t.client_cert_file = absolute(a.client_cert_file);
    t.client_key_file = absolute(a.client_key_file.empty() ? a.client_cert_file : a.client_key_file);
    if (t.client_cert_file.empty()) t.client_key_file.clear();
    if (t.token_url.empty()) return usage("--provider custom needs --token-url");
    if (t.scope.empty()) return usage(app_only ? "no app-only scope is known for " + a.provider + ": give --scope"
                                               : "--provider custom needs --scope");
    MF_TRY(net::oauth2::check_endpoint_url(t.token_url));
    return t;
}

void show_device_code(const net::oauth2::DeviceAuthorization& d, const std::string& account, bool json) {
    if (json) {
        nlohmann::json j = {{"event", "device_authorization"}, {"account", account},
                            {"verification_uri", d.verification_uri}, {"user_code", d.user_code},
                            {"expires_in", d.expires_in}, {"interval", d.interval}};
        if (!d.verification_uri_complete.empty()) j["verification_uri_complete"] = d.verification_uri_complete;
        std::cout << pipeline::json_text(j) << std::endl;
        return;
    }
    std::cout << "To sign in as " << account << ", open " << d.verification_uri << " in a browser and enter the code "
              << d.user_code << "\n"
              << "(the code is valid for " << d.expires_in / 60 << " min; waiting for the sign-in...)" << std::endl;
}

// The device code flow (RFC 8628): the code shown, the server polled.
Result<net::oauth2::TokenGrant> device_code_grant(const AuthArgs& a, net::oauth2::TokenEndpoint& endpoint,
                                                  const std::string& scope) {
    auto endpoints = net::oauth2::provider_endpoints(a.provider, a.tenant);
    std::string device_url = a.device_code_url.empty() ? endpoints->device_code_url : a.device_code_url;
    if (device_url.empty()) return usage("--provider custom needs --device-code-url");
    MF_TRY(net::oauth2::check_endpoint_url(device_url));
    net::oauth2::DeviceFlowHooks hooks;
    hooks.show = [&](const net::oauth2::DeviceAuthorization& d) { show_device_code(d, a.account, a.output.json); };
    hooks.sleep = [](int s) { std::this_thread::sleep_for(std::chrono::seconds(s)); };
    hooks.now = now_epoch;
    hooks.slowed_down = [](int interval) {
        std::cerr << "note: the server asked to poll more slowly (every " << interval << " s)\n";
    };
    return net::oauth2::run_device_flow(endpoint, device_url, scope, hooks);
}

int login(const AuthArgs& a, const TokenStore& store) {
    // Google's device client has a secret that is not confidential; elsewhere a
    // secret or a certificate means the app signs in as itself (client credentials).
    const bool has_app_credential = !a.client_secret_file.empty() || !a.client_cert_file.empty();
    const bool app_only = has_app_credential && a.provider != "google";
    if (!a.client_cert_file.empty() && !a.client_secret_file.empty())
        return report_failure(usage("give --client-secret-file or --client-cert, not both"));
    if (auto s = check_credential_file(a.client_secret_file, "the client secret file"); !s)
        return report_failure(s.error());
    if (auto s = check_credential_file(a.client_key_file.empty() ? a.client_cert_file : a.client_key_file,
                                       "the private key file");
        !s)
        return report_failure(s.error());
    auto token = describe_login(a, app_only);
    if (!token) return report_failure(token.error());
    auto client = net::oauth2::client_auth_for(*token);
    if (!client) return report_failure(client.error());
    net::oauth2::TokenEndpoint endpoint(token->token_url, std::move(*client), {a.ca_file, a.timeout_seconds});

    Result<net::oauth2::TokenGrant> grant =
        app_only ? endpoint.client_credentials(token->scope) : device_code_grant(a, endpoint, token->scope);
    if (!grant) return report_failure(grant.error().in("account " + a.account));
    const int64_t now = now_epoch();
    token->access_token = grant->access_token;
    token->refresh_token = grant->refresh_token;
    token->obtained_at = now;
    token->expires_at = grant->expires_in > 0 ? now + grant->expires_in : 0;
    if (auto s = store.save(*token); !s) return report_failure(s.error());

    const bool refreshable = app_only || !token->refresh_token.empty();
    if (!refreshable)
        std::cerr << "warning: no refresh token was granted (is offline_access in the scope?): runs longer than the "
                     "access token's life will fail\n";
    if (a.output.json) {
        std::cout << pipeline::json_text(nlohmann::json{{"event", "signed_in"}, {"account", a.account}, {"provider", token->provider},
                                    {"flow", token->flow}, {"expires_at", token->expires_at},
                                    {"refreshable", refreshable}, {"token_file", store.path_of(a.account)}})
                  << std::endl;
    } else {
        std::cout << "signed in: " << a.account << " (" << token->provider << ", "
                  << (app_only ? "client credentials" : "device code") << "), access token "
                  << remaining(token->expires_at, now) << (refreshable ? ", refreshed automatically" : "") << "\n"
                  << "stored in " << store.path_of(a.account) << "\n";
    }
    return 0;
}

int status(const AuthArgs& a, const TokenStore& store) {
    std::vector<StoredToken> tokens;
    if (!a.account.empty()) {
        auto t = store.load(a.account);
        if (!t) return report_failure(t.error());
        tokens.push_back(std::move(*t));
    } else {
        auto all = store.list();
        if (!all) return report_failure(all.error());
        tokens = std::move(*all);
    }
    const int64_t now = now_epoch();
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : tokens) {
        const bool refreshable = t.flow == "client_credentials" || !t.refresh_token.empty();
        list.push_back({{"account", t.account}, {"provider", t.provider}, {"flow", t.flow}, {"client_id", t.client_id},
                        {"tenant", t.tenant}, {"scope", t.scope}, {"expires_at", t.expires_at},
                        {"expired", t.expires_at != 0 && t.expires_at <= now}, {"refreshable", refreshable},
                        {"refreshed_at", t.refreshed_at}});
        if (!a.output.json)
            std::cout << t.account << "  " << t.provider << ", " << (t.flow == "device" ? "device code" : "client credentials")
                      << ", client " << t.client_id << ": access token " << remaining(t.expires_at, now)
                      << (refreshable ? ", refreshable" : ", NOT refreshable") << "\n";
    }
    if (a.output.json) std::cout << pipeline::json_text(nlohmann::json{{"token_store", store.dir()}, {"accounts", list}}, 2) << "\n";
    else if (tokens.empty()) std::cout << "no accounts in " << store.dir() << "\n";
    return 0;
}

int logout(const AuthArgs& a, const TokenStore& store) {
    if (auto s = store.remove(a.account); !s) return report_failure(s.error());
    if (a.output.json) std::cout << pipeline::json_text(nlohmann::json{{"event", "signed_out"}, {"account", a.account}}) << "\n";
    else
        std::cout << "removed the tokens of " << a.account << " from " << store.dir()
                  << " (the provider keeps the grant until it expires or an administrator revokes it)\n";
    return 0;
}

}  // namespace

int run_auth_command(const AuthArgs& args) {
    const TokenStore store = store_of(args.token_store);
    if (args.action == "login") return login(args, store);
    if (args.action == "status") return status(args, store);
    return logout(args, store);
}

}  // namespace mailferry::cli
