// The token store: one JSON file per account in a directory of the user's
// (default ~/.config/mailferry/tokens, or --token-store DIR). It holds what a
// later run needs to get a fresh access token without asking the user: the
// flow, the client, the token endpoint, the scope, the refresh token (or the
// path of the client secret or certificate), and the current access token
// with its expiry. Never the client secret itself.
//
// Directory 0700, files 0600, written atomically (temporary file, fsync,
// rename, fsync of the directory). A file that others can read is refused,
// as ssh refuses a private key: its tokens may have leaked.
//
// Not thread-safe by itself; TokenSource serialises its use, and lock()
// serialises processes that share the store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mailferry/result.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::net::oauth2 {

struct StoredToken {
    std::string account;       // the mailbox address; the file's key
    std::string provider;      // microsoft, google, custom
    std::string flow;          // "device" or "client_credentials"
    std::string client_id;
    std::string tenant;
    std::string token_url;
    std::string scope;
    std::string client_secret_file;  // client credentials (absolute path)
    std::string client_cert_file;    // client credentials with a certificate
    std::string client_key_file;
    std::string access_token;
    std::string refresh_token;
    int64_t obtained_at = 0;   // when the access token was issued (epoch s)
    int64_t expires_at = 0;    // 0: unknown
    int64_t refreshed_at = 0;  // last refresh, 0 if never
};

class TokenStore {
public:
    explicit TokenStore(std::string dir);
    // $XDG_CONFIG_HOME/mailferry/tokens, else $HOME/.config/mailferry/tokens.
    static std::string default_dir();

    const std::string& dir() const { return dir_; }
    std::string path_of(const std::string& account) const;

    // not_found when the account has no token here.
    Result<StoredToken> load(const std::string& account) const;
    Status save(const StoredToken& token) const;
    // not_found when there was nothing to remove.
    Status remove(const std::string& account) const;
    Result<std::vector<StoredToken>> list() const;
    // Held while refreshing, so that two runs sharing the store never use one
    // rotating refresh token twice.
    Result<wrap::UniqueFd> lock(const std::string& account) const;

private:
    Status ensure_dir() const;
    std::string dir_;
};

// The file name for an account: lower-cased, characters outside
// [a-z0-9@._+-] as %XX, so that no account can name a path (exposed for tests).
std::string token_file_name(const std::string& account);

std::string to_json_text(const StoredToken& token);
Result<StoredToken> from_json_text(const std::string& text, const std::string& path);

}  // namespace mailferry::net::oauth2
