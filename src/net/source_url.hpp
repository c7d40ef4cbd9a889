// Server addresses as the user writes them: imaps://USER@HOST[:PORT],
// imap://..., pop3s://..., pop3://... The user part may be percent-encoded
// (alice%40example.com) or hold a bare '@' (the last '@' ends it). A password
// in the URL is refused: secrets never travel on the command line.
#pragma once

#include <cstdint>
#include <string>

#include "mailferry/result.hpp"

namespace mailferry::net {

enum class Security { implicit_tls, starttls };

struct ServerUrl {
    std::string scheme;  // imaps, imap, pop3s, pop3
    std::string user;
    std::string host;
    uint16_t port = 0;
    Security security = Security::implicit_tls;

    bool is_imap() const { return scheme == "imap" || scheme == "imaps"; }
    // "host:port", for the index and for messages (never a secret).
    std::string server() const;
    // The URL without any secret, as the index records it.
    std::string display() const;
    // Which mailbox this is, whatever the route: "user@host" with the host in
    // lower case. imaps:// and imap:// (or a proxy's port) to the same server
    // reach the same mailbox, so they share one replay ledger.
    std::string mailbox_key() const;
};

Result<ServerUrl> parse_server_url(const std::string& text);

}  // namespace mailferry::net
