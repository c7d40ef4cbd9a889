#include "net/imap/imap_connection.hpp"

#include "net/sasl.hpp"
#include "net/transport_security.hpp"

namespace mailferry::net {

Result<std::unique_ptr<ImapConnection>> ImapConnection::open(const ConnectOptions& o) {
    std::unique_ptr<ImapConnection> c(new ImapConnection(o.timeout_seconds, o.max_message_size));
    if (auto s = c->secure(o); !s) return s.error();
    if (auto s = c->authenticate(o); !s) return s.error();
    if (o.compress) {
        if (auto s = c->start_compression(o); !s) return s.error();
    }
    return c;
}

Status ImapConnection::refresh_capabilities() {
    auto caps = session_.capability();
    if (!caps) return caps.error();
    caps_ = std::set<std::string>(caps->begin(), caps->end());
    return {};
}

Status ImapConnection::secure(const ConnectOptions& o) {
    TransportSteps steps{"STARTTLS", "imaps://",
                         [&] { return session_.connect_tls(o.url.host, o.url.port); },
                         [&] { return session_.connect_plain(o.url.host, o.url.port); },
                         [&] { return session_.starttls(o.url.host); },
                         [&] { return refresh_capabilities(); },
                         [&] { return has_capability("STARTTLS"); },
                         [&] { return session_.stream(); }};
    return secure_transport(o, steps);
}

Status ImapConnection::authenticate(const ConnectOptions& o) {
    if (session_.preauthenticated()) return {};
    MF_TRY(o.auth == AuthMethod::xoauth2 ? authenticate_oauth2(o) : authenticate_password(o));
    // Servers may announce more after login (RFC 3501 §7.2.1).
    return refresh_capabilities();
}

Status ImapConnection::authenticate_password(const ConnectOptions& o) {
    if (has_capability("LOGINDISABLED")) {
        std::string hint = has_capability("AUTH=XOAUTH2") || has_capability("AUTH=OAUTHBEARER")
                               ? ": it needs OAuth2 ('mailferry auth login', then --auth xoauth2)"
                               : "";
        return connection_error(ErrorKind::auth,
                             o.url.server() + " does not accept a password login (LOGINDISABLED)" + hint);
    }
    if (auto s = session_.login(o.url.user, o.password.reveal()); !s) {
        Error e = s.error();
        e.radius = Radius::account;
        if (e.kind == ErrorKind::auth || e.kind == ErrorKind::protocol) {
            e.kind = ErrorKind::auth;
            e.message = "the server refused the login of " + o.url.user + " at " + o.url.server() +
                        ": wrong user name or password?";
        }
        return e;
    }
    return {};
}

Status ImapConnection::authenticate_oauth2(const ConnectOptions& o) {
    if (!o.tokens) return connection_error(ErrorKind::internal, "OAuth2 without a token source");
    if (!has_capability("AUTH=XOAUTH2") && !has_capability("AUTH=OAUTHBEARER"))
        return connection_error(ErrorKind::auth, o.url.server() + " offers neither XOAUTH2 nor OAUTHBEARER: use --auth password");
    return present_bearer_token(
        *o.tokens, [&](const std::string& token) { return present_token(o, token); },
        [&](Error e) {
            e.message = o.url.server() + " rejected the OAuth2 token of " + o.tokens->account() + " for the mailbox " +
                        o.url.user + " (token rejected: revoked, for another mailbox, or missing the IMAP permission)";
            return e;
        });
}

Status ImapConnection::present_token(const ConnectOptions& o, const std::string& token) {
    const bool sasl_ir = has_capability("SASL-IR");
    // XOAUTH2 first: Exchange and Gmail speak only it; OAUTHBEARER is the standard
    // the rest of the world (Dovecot among them) also offers.
    if (has_capability("AUTH=XOAUTH2"))
        return session_.authenticate("XOAUTH2", xoauth2_response(o.url.user, token).reveal(), sasl_ir, xoauth2_failure_ack);
    return session_.authenticate("OAUTHBEARER", oauthbearer_response(o.url.user, o.url.host, o.url.port, token).reveal(),
                                 sasl_ir, oauthbearer_failure_ack);
}

Status ImapConnection::start_compression(const ConnectOptions& o) {
    if (!has_capability("COMPRESS=DEFLATE")) {
        if (o.warn) o.warn("note: " + o.url.server() + " does not offer COMPRESS=DEFLATE; continuing without");
        return {};
    }
    MF_TRY(session_.simple_command("COMPRESS DEFLATE"));
    std::string err = session_.start_deflate();
    if (!err.empty()) return connection_error(ErrorKind::internal, "cannot start compression: " + err);
    compressed_ = true;
    return {};
}

}  // namespace mailferry::net
