#include "net/source_url.hpp"

#include <charconv>

namespace mailferry::net {
namespace {

Error url_error(const std::string& why) {
    return make_error(ErrorKind::usage, Radius::fatal, "bad server address: " + why);
}

std::string percent_decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int v = 0;
            auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            if (ec == std::errc() && p == s.data() + i + 3) {
                out += static_cast<char>(v);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

}  // namespace

std::string ServerUrl::server() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string ServerUrl::display() const {
    std::string u;
    for (char c : user) u += c == '@' ? std::string("%40") : std::string(1, c);
    return scheme + "://" + u + "@" + server();
}

std::string ServerUrl::mailbox_key() const {
    std::string h = host;
    for (char& c : h) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return user + "@" + h;
}

Result<ServerUrl> parse_server_url(const std::string& text) {
    ServerUrl url;
    size_t sep = text.find("://");
    if (sep == std::string::npos) return url_error("expected imaps://USER@HOST[:PORT]");
    url.scheme = text.substr(0, sep);
    for (char& c : url.scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (url.scheme == "imaps") url.port = 993;
    else if (url.scheme == "imap") { url.port = 143; url.security = Security::starttls; }
    else if (url.scheme == "pop3s") url.port = 995;
    else if (url.scheme == "pop3") { url.port = 110; url.security = Security::starttls; }
    else return url_error("unknown scheme '" + url.scheme + "' (imaps, imap, pop3s, pop3)");

    // No error below quotes the text before the last '@': it may hold a
    // password (USER:PASSWORD@HOST), and errors reach terminals and logs.
    std::string rest = text.substr(sep + 3);
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    size_t at = rest.rfind('@');
    if (at == std::string::npos || at == 0) return url_error("no user name (USER@HOST)");
    std::string userinfo = rest.substr(0, at);
    // A ':' in the user part would be a password on the command line; a ':' can still
    // be given percent-encoded as %3A. Checked first: a password may hold a '/'.
    if (userinfo.find(':') != std::string::npos)
        return url_error("a password in the address is refused: use --password-file or --password-env");
    if (rest.find('/') != std::string::npos) return url_error("a path is not allowed after the host");
    url.user = percent_decode(userinfo);
    // A control character (CR, LF, NUL...) in a user name would end the LOGIN or
    // USER line early: what followed would be a command of its own.
    for (char c : url.user)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return url_error("a control character in the user name is refused");

    std::string hostport = rest.substr(at + 1);
    std::string port_text;
    if (!hostport.empty() && hostport[0] == '[') {
        size_t close = hostport.find(']');
        if (close == std::string::npos) return url_error("unclosed '[' in " + hostport);
        url.host = hostport.substr(1, close - 1);
        if (close + 1 < hostport.size()) {
            if (hostport[close + 1] != ':') return url_error("junk after ']' in " + hostport);
            port_text = hostport.substr(close + 2);
        }
    } else {
        size_t colon = hostport.rfind(':');
        url.host = hostport.substr(0, colon);
        if (colon != std::string::npos) port_text = hostport.substr(colon + 1);
    }
    if (url.host.empty()) return url_error("no host name");
    if (!port_text.empty()) {
        unsigned p = 0;
        auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || p == 0 || p > 65535)
            return url_error("bad port '" + port_text + "'");
        url.port = static_cast<uint16_t>(p);
    }
    return url;
}

}  // namespace mailferry::net
