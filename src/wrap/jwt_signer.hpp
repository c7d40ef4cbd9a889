// The OpenSSL half of a signed client assertion (RFC 7523, Microsoft's
// "certificate credential"): the thumbprints of a certificate and an RS256
// signature with its private key. The net layer builds the JSON.
#pragma once

#include <string>

#include "mailferry/result.hpp"

namespace mailferry::wrap {

struct CertificateThumbprints {
    std::string sha1;    // base64url of SHA-1(DER): the JWT header's x5t
    std::string sha256;  // base64url of SHA-256(DER): x5t#S256
};

Result<CertificateThumbprints> certificate_thumbprints(const std::string& cert_pem_file);

// base64url(header) "." base64url(payload) "." base64url(RS256 signature),
// signed with the RSA private key in key_pem_file (unencrypted PEM).
Result<std::string> sign_jwt_rs256(const std::string& header_json, const std::string& payload_json,
                                   const std::string& key_pem_file);

}  // namespace mailferry::wrap
