// How a connection to a mail server is secured before any credential is sent
// (docs/architecture.md §8), written once for IMAP and POP3: implicit TLS, or
// STARTTLS/STLS when the server offers it (required then: a server offering it
// is never spoken to in plaintext), the certificate chain and host name
// verified (--ca-file for a private CA, --insecure skips it with a warning),
// and the capabilities read again after the handshake, since those seen before
// it may have been forged (RFC 3501 §6.2.1, RFC 2595 §4). Plaintext only
// with --allow-plaintext, and warned.
#pragma once

#include <functional>
#include <string>

#include "mailferry/result.hpp"
#include "net/imap/imap_connection.hpp"

struct _mailstream;

namespace mailferry::net {

// A protocol's own steps, which the policy calls in its order.
struct TransportSteps {
    const char* start_tls_command;  // "STARTTLS", "STLS"
    const char* tls_scheme;         // "imaps://", "pop3s://": what to use instead
    std::function<Status()> connect_tls, connect_plain, start_tls, refresh_capabilities;
    std::function<bool()> offers_start_tls;  // after refresh_capabilities
    std::function<_mailstream*()> stream;    // the TLS stream, for its certificate chain
};

Status secure_transport(const ConnectOptions& options, const TransportSteps& steps);

// An error that ends this connection (radius account), as the connections report them.
Error connection_error(ErrorKind kind, std::string text);

}  // namespace mailferry::net
