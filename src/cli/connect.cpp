#include "cli/connect.hpp"

#include "wrap/protocol_trace.hpp"

#include <iostream>

#include "cli/secrets.hpp"
#include "net/oauth2/provider.hpp"

namespace mailferry::cli {

namespace {

// --auth, else xoauth2 for the hosts that take nothing else.
net::AuthMethod auth_method(const ConnectionArgs& args, const std::string& host) {
    if (args.auth == "xoauth2") return net::AuthMethod::xoauth2;
    if (args.auth == "password") return net::AuthMethod::password;
    return net::oauth2::provider_for_host(host).empty() ? net::AuthMethod::password : net::AuthMethod::xoauth2;
}

}  // namespace

Result<net::ConnectOptions> make_connect_options(const ConnectionArgs& args, Warnings& warnings) {
    // Before any connection opens: every stream checks it when it is made.
    // One switch for the process: a command with two sides (watch) traces
    // both when either asks, and the side that does not ask never turns the
    // other's trace off.
    if (args.debug) wrap::enable_protocol_trace(true);
    auto url = net::parse_server_url(args.url);
    if (!url) return url.error();
    net::ConnectOptions o;
    o.auth = auth_method(args, url->host);
    if (o.auth == net::AuthMethod::xoauth2) {
        if (!args.password_file.empty() || !args.password_env.empty())
            return make_error(ErrorKind::usage, Radius::fatal,
                              "--password-file/--password-env do not go with OAuth2 (use --auth password to log in "
                              "with a password)");
        net::oauth2::TokenStore store(args.token_store.empty() ? net::oauth2::TokenStore::default_dir()
                                                                : args.token_store);
        const std::string account = args.oauth_account.empty() ? url->user : args.oauth_account;
        o.tokens = std::make_shared<net::oauth2::TokenSource>(std::move(store), account,
                                                              wrap::HttpOptions{"", args.timeout_seconds});
    } else {
        auto password = obtain_password(args, url->user, url->server());
        if (!password) return password.error();
        o.password = std::move(*password);
    }
    o.url = *url;
    o.ca_file = args.ca_file;
    o.insecure = args.insecure;
    o.allow_plaintext = args.allow_plaintext;
    o.compress = args.compress_wire;
    o.timeout_seconds = args.timeout_seconds;
    o.warn = [&warnings](const std::string& line) { warnings(line); };
    return o;
}

std::string auth_name(const net::ConnectOptions& o) {
    return o.auth == net::AuthMethod::xoauth2 ? "xoauth2" : "password";
}

int token_refreshes(const net::ConnectOptions& o) { return o.tokens ? o.tokens->refreshes() : 0; }

int report_failure(const Error& e) {
    std::cerr << "mailferry: " << e.describe() << "\n";
    return exit_code_for(e.kind);
}

}  // namespace mailferry::cli
