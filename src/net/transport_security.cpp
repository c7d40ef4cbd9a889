#include "net/transport_security.hpp"

#include "wrap/tls_verify.hpp"

namespace mailferry::net {
namespace {

Status verify_peer(const ConnectOptions& o, const TransportSteps& t) {
    if (o.insecure) {
        if (o.warn) o.warn("warning: --insecure: the certificate of " + o.url.host + " is not verified");
        return {};
    }
    return wrap::verify_peer_chain(wrap::peer_chain_der(t.stream()), o.url.host, o.ca_file);
}

}  // namespace

Error connection_error(ErrorKind kind, std::string text) { return make_error(kind, Radius::account, std::move(text)); }

Status secure_transport(const ConnectOptions& o, const TransportSteps& t) {
    const ServerUrl& u = o.url;
    if (u.security == Security::implicit_tls) {
        MF_TRY(t.connect_tls());
        MF_TRY(verify_peer(o, t));
        return t.refresh_capabilities();
    }
    MF_TRY(t.connect_plain());
    MF_TRY(t.refresh_capabilities());
    if (t.offers_start_tls()) {
        MF_TRY(t.start_tls());
        MF_TRY(verify_peer(o, t));
        return t.refresh_capabilities();
    }
    const std::string command = t.start_tls_command;
    if (!o.allow_plaintext)
        return connection_error(ErrorKind::tls, u.server() + " does not offer " + command +
                                                    ": refusing to log in without encryption (use " + t.tls_scheme +
                                                    " or, on a trusted network, --allow-plaintext)");
    if (o.warn)
        o.warn("warning: " + u.server() + " offers no " + command + "; the password goes unencrypted (--allow-plaintext)");
    return {};
}

}  // namespace mailferry::net
