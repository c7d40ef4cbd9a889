// Opening an authenticated POP3 session with the same security policy as
// IMAP (docs/architecture.md §8): implicit TLS or STLS, the certificate verified before
// any credential is sent, plaintext only with --allow-plaintext and never
// when the server offers STLS; USER/PASS, or AUTH XOAUTH2 / OAUTHBEARER with
// a token (renewed once if refused).
#pragma once

#include <memory>
#include <set>
#include <string>

#include "net/imap/imap_connection.hpp"
#include "wrap/pop3_session.hpp"

namespace mailferry::net {

class Pop3Connection {
public:
    // Errors have radius account.
    static Result<std::unique_ptr<Pop3Connection>> open(const ConnectOptions& options);

    wrap::Pop3Session& session() { return session_; }
    bool has_capability(const std::string& cap) const { return caps_.count(cap) > 0; }
    bool knows_capabilities() const { return !caps_.empty(); }  // false: no CAPA (RFC 1939 server)
    bool offers_sasl(const std::string& mechanism) const;

private:
    Pop3Connection(int timeout, uint64_t max_message_size) : session_(timeout, max_message_size) {}
    Status secure(const ConnectOptions& o);
    Status authenticate(const ConnectOptions& o);
    Status authenticate_oauth2(const ConnectOptions& o);
    Status refresh_capabilities();

    wrap::Pop3Session session_;
    std::set<std::string> caps_;
};

}  // namespace mailferry::net
