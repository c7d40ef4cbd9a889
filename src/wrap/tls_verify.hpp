// What we check ourselves of the TLS that libetpan's GnuTLS layer does, since
// that layer checks nothing (docs/dependencies.md): the certificate chain (with
// OpenSSL), the protocol version, and, for STARTTLS and STLS, that nothing came
// between the server's OK and the handshake. Each is checked after the
// handshake and before any credential is sent; a refusal is one line, kind
// tls, radius account.
#pragma once

#include <string>
#include <vector>

#include "mailferry/result.hpp"

struct _mailstream;
struct mailstream_ssl_context;

namespace mailferry::wrap {

// The peer's chain as DER blobs, leaf first, taken from a libetpan stream.
std::vector<std::string> peer_chain_der(_mailstream* stream);

// Verifies the chain against the system trust store, or only against ca_file
// when it is not empty, and checks that the leaf names host (a DNS name or an
// IP literal) in its subjectAltName: never by its subject's CN.
Status verify_peer_chain(const std::vector<std::string>& chain_der, const std::string& host,
                         const std::string& ca_file);

// The data of libetpan's TLS callback (on_tls_setup): the name sent as SNI,
// and what the callback learns of the GnuTLS session libetpan then handshakes
// with, for require_tls12(). Lives as long as the handshake.
struct TlsSetup {
    std::string server_name;
    void* gnutls_session = nullptr;           // libetpan's; valid while its stream is open
    const void* libetpan_context = nullptr;   // only compared: libetpan frees it after the handshake
};

// For mailstream_ssl_open_with_callback*() and its kin, data a TlsSetup*.
void on_tls_setup(mailstream_ssl_context* context, void* setup);

// After the handshake that setup watched: TLS 1.2 or later, or an error
// naming the version where negotiated (RFC 8996 retired 1.0 and 1.1).
Status require_tls12(const TlsSetup& setup, const std::string& where);

// After the server's OK to STARTTLS (IMAP) or STLS (POP3), which command
// names: any byte the server sent after that OK and before our handshake is
// refused, the CVE-2011-0411 response injection (read after the handshake,
// those plain-text bytes would pass for the server's answers over TLS).
Status refuse_data_before_handshake(_mailstream* stream, const std::string& command);

// Puts TLS (SNI host, TLS 1.2 or later) in place of the stream's plain layer,
// over the same socket; that layer, and any guard above it, is freed.
Status switch_to_tls(_mailstream* stream, int timeout_seconds, const std::string& host);

}  // namespace mailferry::wrap
