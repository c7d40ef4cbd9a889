#include "net/sasl.hpp"

namespace mailferry::net {

std::string xoauth2_response(const std::string& user, const std::string& token) {
    return "user=" + user + "\x01" "auth=Bearer " + token + "\x01\x01";
}

std::string oauthbearer_response(const std::string& user, const std::string& host, uint16_t port,
                                 const std::string& token) {
    // A saslname writes ',' and '=' as =2C and =3D (RFC 5801 §4).
    std::string name;
    for (char c : user) {
        if (c == ',') name += "=2C";
        else if (c == '=') name += "=3D";
        else name += c;
    }
    return "n,a=" + name + ",\x01" "host=" + host + "\x01" "port=" + std::to_string(port) + "\x01" "auth=Bearer " +
           token + "\x01\x01";
}

Status present_bearer_token(oauth2::TokenSource& tokens, const std::function<Status(const std::string& token)>& present) {
    auto token = tokens.access_token();
    if (!token) return token.error();
    Status first = present(*token);
    if (first || first.error().kind != ErrorKind::auth) return first;
    auto renewed = tokens.renew_after_rejection(*token);
    if (!renewed) return renewed.error();
    return present(*renewed);
}

}  // namespace mailferry::net
