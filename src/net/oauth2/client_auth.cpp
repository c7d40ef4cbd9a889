#include "net/oauth2/client_auth.hpp"

#include <random>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "wrap/jwt_signer.hpp"
#include "wrap/secret_file.hpp"

namespace mailferry::net::oauth2 {
namespace {

std::string random_id() {
    std::random_device rd;
    static const char hex[] = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 32; ++i) id += hex[rd() & 15];
    return id;
}

}  // namespace

Result<SecretString> read_client_secret(const std::string& path) {
    auto file = wrap::read_secret_file(path, "the client secret file", wrap::OthersMayRead::warn);
    if (!file) return file.error();
    // A readable file was warned about at "auth login"; each refresh does not repeat it.
    SecretString line = first_line(file->text);
    if (line.empty()) return make_error(ErrorKind::usage, Radius::fatal, "the client secret file " + path + " is empty");
    return line;
}

Result<std::string> certificate_assertion(const std::string& client_id, const std::string& audience,
                                          const std::string& cert_file, const std::string& key_file) {
    auto thumbs = wrap::certificate_thumbprints(cert_file);
    if (!thumbs) return thumbs.error();
    const int64_t now = now_epoch();
    nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", thumbs->sha1}, {"x5t#S256", thumbs->sha256}};
    nlohmann::json claims = {{"aud", audience}, {"iss", client_id}, {"sub", client_id}, {"jti", random_id()},
                             {"nbf", now - 60}, {"iat", now}, {"exp", now + 600}};
    return wrap::sign_jwt_rs256(header.dump(), claims.dump(), key_file);
}

Result<ClientAuth> client_auth_for(const StoredToken& t) {
    ClientAuth auth;
    auth.client_id = t.client_id;
    if (!t.client_secret_file.empty()) {
        auto secret = read_client_secret(t.client_secret_file);
        if (!secret) return secret.error();
        auth.client_secret = std::move(*secret);
    }
    if (!t.client_cert_file.empty()) {
        auth.assertion = [id = t.client_id, cert = t.client_cert_file, key = t.client_key_file](const std::string& aud) {
            return certificate_assertion(id, aud, cert, key);
        };
    }
    return auth;
}

}  // namespace mailferry::net::oauth2
