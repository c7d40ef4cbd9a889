#include "net/sasl.hpp"

#include <initializer_list>
#include <string_view>

namespace mailferry::net {

namespace {

// Built in one buffer reserved up front: concatenating temporaries would
// leave copies of the token in freed memory.
SecretString joined(std::initializer_list<std::string_view> parts) {
    size_t size = 0;
    for (auto p : parts) size += p.size();
    SecretString out;
    out.reserve(size + 1);
    for (auto p : parts) out.append(p);
    return out;
}

}  // namespace

SecretString xoauth2_response(const std::string& user, const std::string& token) {
    return joined({"user=", user, "\x01" "auth=Bearer ", token, "\x01\x01"});
}

SecretString oauthbearer_response(const std::string& user, const std::string& host, uint16_t port,
                                 const std::string& token) {
    // A saslname writes ',' and '=' as =2C and =3D (RFC 5801 §4).
    std::string name;
    for (char c : user) {
        if (c == ',') name += "=2C";
        else if (c == '=') name += "=3D";
        else name += c;
    }
    const std::string port_text = std::to_string(port);
    return joined({"n,a=", name, ",\x01" "host=", host, "\x01" "port=", port_text, "\x01" "auth=Bearer ", token,
                   "\x01\x01"});
}

Status present_bearer_token(oauth2::TokenSource& tokens, const std::function<Status(const std::string& token)>& present,
                            const std::function<Error(Error)>& explain_refusal) {
    auto token = tokens.access_token();
    if (!token) return token.error();
    Status first = present(*token);
    if (first || first.error().kind != ErrorKind::auth) return first;
    auto renewed = tokens.renew_after_rejection(*token);
    if (!renewed) return renewed.error();
    Status second = present(*renewed);
    if (second || second.error().kind != ErrorKind::auth) return second;
    return explain_refusal(second.error());
}

}  // namespace mailferry::net
