#include "net/pop3/pop3_connection.hpp"

#include <sstream>

#include "net/sasl.hpp"
#include "net/transport_security.hpp"

namespace mailferry::net {

Result<std::unique_ptr<Pop3Connection>> Pop3Connection::open(const ConnectOptions& o) {
    std::unique_ptr<Pop3Connection> c(new Pop3Connection(o.timeout_seconds, o.max_message_size));
    MF_TRY(c->secure(o));
    MF_TRY(c->authenticate(o));
    MF_TRY(c->refresh_capabilities());  // UIDL may be announced only now (RFC 2449 §5)
    return c;
}

bool Pop3Connection::offers_sasl(const std::string& mechanism) const {
    for (const auto& cap : caps_) {
        if (cap.rfind("SASL ", 0) != 0) continue;
        std::istringstream words(cap.substr(5));
        for (std::string w; words >> w;)
            if (w == mechanism) return true;
    }
    return false;
}

Status Pop3Connection::refresh_capabilities() {
    auto caps = session_.capa();
    if (!caps) return caps.error();
    caps_ = std::set<std::string>(caps->begin(), caps->end());
    return {};
}

Status Pop3Connection::secure(const ConnectOptions& o) {
    TransportSteps steps{"STLS", "pop3s://",
                         [&] { return session_.connect_tls(o.url.host, o.url.port); },
                         [&] { return session_.connect_plain(o.url.host, o.url.port); },
                         [&] { return session_.stls(); },
                         [&] { return refresh_capabilities(); },
                         [&] { return has_capability("STLS"); },
                         [&] { return session_.stream(); }};
    return secure_transport(o, steps);
}

Status Pop3Connection::authenticate(const ConnectOptions& o) {
    if (o.auth == AuthMethod::xoauth2) return authenticate_oauth2(o);
    if (auto s = session_.login(o.url.user, o.password.reveal()); !s) {
        Error e = s.error();
        if (e.kind != ErrorKind::auth) return e;
        e.message = "the server refused the login of " + o.url.user + " at " + o.url.server() +
                    ": wrong user name or password?";
        return e;
    }
    return {};
}

Status Pop3Connection::authenticate_oauth2(const ConnectOptions& o) {
    if (!o.tokens) return connection_error(ErrorKind::internal, "OAuth2 without a token source");
    const bool xoauth2 = offers_sasl("XOAUTH2");
    if (!xoauth2 && !offers_sasl("OAUTHBEARER"))
        return connection_error(ErrorKind::auth, o.url.server() + " offers neither XOAUTH2 nor OAUTHBEARER: use --auth password");
    auto present = [&](const std::string& token) {
        return xoauth2 ? session_.authenticate("XOAUTH2", xoauth2_response(o.url.user, token).reveal(), xoauth2_failure_ack)
                       : session_.authenticate("OAUTHBEARER", oauthbearer_response(o.url.user, o.url.host, o.url.port, token).reveal(),
                                               oauthbearer_failure_ack);
    };
    return present_bearer_token(*o.tokens, present, [&](Error e) {
        e.message = o.url.server() + " rejected the OAuth2 token of " + o.tokens->account() + " for the mailbox " +
                    o.url.user + " (token rejected: revoked, for another mailbox, or missing the POP permission)";
        return e;
    });
}

}  // namespace mailferry::net
