// Certificate verification with OpenSSL, for connections whose TLS is done by
// libetpan's GnuTLS layer, which verifies nothing (dependencies.md). Called
// after the handshake and before any credential is sent.
#pragma once

#include <string>
#include <vector>

#include "mailferry/result.hpp"

struct _mailstream;

namespace mailferry::wrap {

// The peer's chain as DER blobs, leaf first, taken from a libetpan stream.
std::vector<std::string> peer_chain_der(_mailstream* stream);

// Verifies the chain against the system trust store, or only against ca_file
// when it is not empty, and checks that the leaf names host (a DNS name or an
// IP literal). The error (kind tls, radius account) says why, in one line.
Status verify_peer_chain(const std::vector<std::string>& chain_der, const std::string& host,
                         const std::string& ca_file);

}  // namespace mailferry::wrap
