// Opening an authenticated IMAP session with the security policy of
// docs/architecture.md §8: TLS (implicit or STARTTLS) verified before any credential is
// sent; plaintext only when the user said --allow-plaintext, and never when
// the server offers STARTTLS; COMPRESS=DEFLATE only when asked for.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>

#include "mailferry/result.hpp"
#include "core/secret.hpp"
#include "net/oauth2/token_source.hpp"
#include "net/source_url.hpp"
#include "wrap/imap_session.hpp"

namespace mailferry::net {

enum class AuthMethod { password, xoauth2 };

struct ConnectOptions {
    ServerUrl url;
    AuthMethod auth = AuthMethod::password;
    SecretString password;  // never logged, never in an error
    // auth == xoauth2: shared by every connection of the run. The SASL user
    // (XOAUTH2's user=) is the URL's user: the mailbox to open, which for a
    // shared mailbox or app-only access is not the token's owner.
    std::shared_ptr<oauth2::TokenSource> tokens;
    std::string ca_file;   // empty: the system's trust store
    bool insecure = false;        // skip certificate verification (warned)
    bool allow_plaintext = false; // imap:// without STARTTLS
    bool compress = false;        // COMPRESS=DEFLATE when offered
    int timeout_seconds = 60;
    // The largest message fetched (--max-message-size): a larger one is refused
    // unread, whatever size the server announces.
    uint64_t max_message_size = wrap::kDefaultMaxMessageSize;
    std::function<void(const std::string&)> warn;  // one line for the user
};

class ImapConnection {
public:
    // Connects, secures, logs in. Errors have radius account.
    static Result<std::unique_ptr<ImapConnection>> open(const ConnectOptions& options);

    wrap::ImapSession& session() { return session_; }
    bool has_capability(const std::string& cap) const { return caps_.count(cap) > 0; }
    bool compressed() const { return compressed_; }

private:
    ImapConnection(int timeout, uint64_t max_message_size) : session_(timeout, max_message_size) {}
    Status secure(const ConnectOptions& o);
    Status authenticate(const ConnectOptions& o);
    Status authenticate_password(const ConnectOptions& o);
    Status authenticate_oauth2(const ConnectOptions& o);
    Status present_token(const ConnectOptions& o, const std::string& token);
    Status refresh_capabilities();
    Status start_compression(const ConnectOptions& o);

    wrap::ImapSession session_;
    std::set<std::string> caps_;
    bool compressed_ = false;
};

}  // namespace mailferry::net
