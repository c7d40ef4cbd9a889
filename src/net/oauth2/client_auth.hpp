// How a stored account authenticates its client to the token endpoint: no
// secret (a public client, the device flow), a client secret read from its
// file at the moment it is needed, or a certificate whose private key signs
// a short-lived assertion (RFC 7523; Microsoft's certificate credentials).
#pragma once

#include "net/oauth2/token_endpoint.hpp"
#include "net/oauth2/token_store.hpp"

namespace mailferry::net::oauth2 {

Result<ClientAuth> client_auth_for(const StoredToken& token);

// The first line of a client secret file; an empty one is refused, and the
// file's owner and mode are checked (wrap/secret_file).
Result<SecretString> read_client_secret(const std::string& path);

// A client assertion for audience, valid for 10 minutes from now:
// header {alg RS256, typ JWT, x5t, x5t#S256}, claims {aud, iss, sub, jti, nbf, iat, exp}.
Result<std::string> certificate_assertion(const std::string& client_id, const std::string& audience,
                                          const std::string& cert_file, const std::string& key_file);

}  // namespace mailferry::net::oauth2
