// A private OAuth 2.0 authorization server (oidc-provider on 127.0.0.1, plain
// HTTP) for integration tests: device authorization grant, refresh tokens,
// client credentials (secret or certificate), revocation; JWT access tokens
// that a TestDovecot started with DovecotOptions::oauth2_dir = dir() accepts.
// Thin wrapper around tests/harness/oauth2/oauth2-harness (see its README.md).
//
//   mailferry::test::TestOAuthServer oauth;                       // user alice
//   mailferry::test::DovecotOptions o;
//   o.oauth2_dir = oauth.dir();
//   mailferry::test::TestDovecot server(o);                       // alice:alice-pw
//   std::string json = oauth.token({"cc"});                       // {"access_token":"...",...}
//   std::string forged = oauth.mint({"--forge"});
//
// Needs Node.js >= 20.18 at run time (and npm once, if node_modules is
// missing).  Depends only on the standard library and POSIX.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mailferry::test {

struct OAuthServerOptions {
    // Accounts that may sign in (no passwords); also the upn claim of their tokens.
    std::vector<std::string> users = {"alice"};
    int token_lifetime = 3600;           // access tokens, seconds
    int refresh_lifetime = 14 * 24 * 3600;
    int device_interval = 1;             // "interval" of device authorization responses (Microsoft: 5)
    int device_code_lifetime = 900;
    int slow_down = 0;                   // the first N pending polls of each device code get slow_down
    std::string cc_mailbox{};            // upn of client-credentials tokens; empty = users[0]
    std::string alg{};                   // token signature: empty = RS256, or "ES256"
    std::string tenant{};                // endpoint path segment; empty = "common"
    int port = 0;                        // 0 = any free port
};

// Starts the server in a fresh temporary directory (mkdtemp under $TMPDIR or
// /tmp, made world-readable so that Dovecot's auth process can read the
// public key) and stops it by PID in the destructor; the directory is removed
// too unless MAILFERRY_KEEP_TEST_DIRS is set.  Should this process die without
// running the destructor, a watchdog stops the server within ~1 s (the
// directory then stays).  Every failure throws std::runtime_error carrying
// the script's stderr.
class TestOAuthServer {
public:
    explicit TestOAuthServer(OAuthServerOptions = {});
    ~TestOAuthServer();
    TestOAuthServer(const TestOAuthServer&) = delete;
    TestOAuthServer& operator=(const TestOAuthServer&) = delete;

    const std::string& dir() const { return dir_; }        // for DovecotOptions::oauth2_dir
    const std::string& env_file() const { return env_file_; }  // DIR/env (sourceable)
    // Any value of DIR/env by name ("" if absent), e.g. env("INTROSPECT_URL").
    std::string env(const std::string& key) const;

    int port() const { return port_; }
    int pid() const { return pid_; }
    const std::string& issuer() const { return issuer_; }             // http://127.0.0.1:PORT
    const std::string& tenant() const { return tenant_; }
    const std::string& token_url() const { return token_url_; }       // ISSUER/TENANT/oauth2/v2.0/token
    const std::string& device_url() const { return device_url_; }     // .../devicecode
    const std::string& verification_url() const { return verification_url_; }  // ISSUER/devicelogin
    const std::string& revoke_url() const { return revoke_url_; }
    const std::string& introspect_url() const { return introspect_url_; }
    const std::string& jwks_url() const { return jwks_url_; }
    const std::string& discovery_url() const { return discovery_url_; }

    // Public client (token_endpoint_auth_method none): device code + refresh token.
    const std::string& device_client_id() const { return device_client_id_; }
    // Confidential client, client credentials with a secret (body or HTTP Basic).
    const std::string& cc_client_id() const { return cc_client_id_; }
    const std::string& cc_client_secret_file() const { return cc_client_secret_file_; }  // mode 0600
    std::string cc_client_secret() const;  // the file's content without its newline
    // Confidential client, client credentials with a certificate (private_key_jwt,
    // Microsoft's client assertion); empty when the harness had no openssl.
    const std::string& cc_cert_client_id() const { return cc_cert_client_id_; }
    const std::string& cc_cert_file() const { return cc_cert_file_; }  // self-signed, PEM
    const std::string& cc_key_file() const { return cc_key_file_; }    // RSA, PEM, mode 0600
    const std::string& cc_cert_x5t() const { return cc_cert_x5t_; }    // base64url SHA-1 of the DER
    const std::string& cc_mailbox() const { return cc_mailbox_; }      // upn of client-credentials tokens

    // "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
    const std::string& scope_delegated() const { return scope_delegated_; }
    // "https://outlook.office365.com/.default"
    const std::string& scope_app() const { return scope_app_; }
    int token_lifetime() const { return token_lifetime_; }

    const std::string& pubkey_dir() const { return pubkey_dir_; }    // Dovecot's key dict
    const std::string& jwks_file() const { return jwks_file_; }
    const std::string& signing_key() const { return signing_key_; }  // private key, PEM, mode 0600
    const std::string& alg() const { return alg_; }
    const std::string& kid() const { return kid_; }
    const std::string& log_path() const { return log_path_; }        // the server's log
    std::string log() const;                                         // its content, for INFO()

    // Approves USER_CODE (as shown by a device authorization response) as a
    // user with a browser would, signed in as USER; with DENY, aborts instead
    // (the client's next poll gets access_denied).  Throws if the server
    // refuses (unknown or expired code, unknown user).
    void approve(const std::string& user_code, const std::string& user = "alice", bool deny = false) const;

    // `oauth2-harness token DIR ARGS...` (client.mjs): {"device", "--user", "bob"},
    // {"cc"}, {"cc-cert"}, {"refresh", RT}, {"revoke", TOKEN, "--hint", "refresh_token"};
    // "--scope S" for each.  Returns the token endpoint's JSON (also when it
    // is an OAuth error such as {"error":"invalid_grant",...}; revoke: "" on
    // success).  Throws on usage errors and crashes.
    std::string token(const std::vector<std::string>& args) const;
    // access_token of token(ARGS); throws (with the JSON) if there is none.
    std::string access_token(const std::vector<std::string>& args = {"cc"}) const;

    // `oauth2-harness mint DIR ARGS...` (mint.mjs): a token signed outside the
    // server, without its newline.  {"--user", "bob"}, {"--expires-in=-60"}
    // (expired), {"--forge"} (another key, same kid), {"--typ", "at+jwt"},
    // {"--iss", URL}, {"--claims", JSON}, {"--no-kid"}.  Never mint a token
    // without upn: it crashes Dovecot 2.3.19's auth process.
    std::string mint(const std::vector<std::string>& args = {}) const;

    void stop();  // idempotent

private:
    std::string run(const std::vector<std::string>& args, bool oauth_error_ok = false) const;

    std::string dir_;
    std::string env_file_;
    std::map<std::string, std::string> env_;
    std::string issuer_, tenant_, token_url_, device_url_, verification_url_, revoke_url_, introspect_url_,
        jwks_url_, discovery_url_;
    std::string device_client_id_, cc_client_id_, cc_client_secret_file_;
    std::string cc_cert_client_id_, cc_cert_file_, cc_key_file_, cc_cert_x5t_, cc_mailbox_;
    std::string scope_delegated_, scope_app_;
    std::string pubkey_dir_, jwks_file_, signing_key_, alg_, kid_, log_path_;
    int token_lifetime_ = 0;
    int port_ = 0;
    int pid_ = 0;
    bool running_ = false;
};

// Absolute path of oauth2-harness (compile definition MAILFERRY_HARNESS_DIR).
std::string oauth2_harness_script();

// The value of a top-level member of a JSON object, unquoted and unescaped if
// a string, as written if a number, true, false or null; "" if absent.
// Enough for token endpoint answers (access_token, refresh_token, expires_in,
// error, user_code...) without a JSON library.
std::string json_member(const std::string& json, const std::string& name);

}  // namespace mailferry::test
