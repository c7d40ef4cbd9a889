// A thin RAII wrapper over one POP3 session (RFC 1939, 2449, 2595, 5034).
// libetpan opens the connection (TCP or TLS, SNI) and upgrades it for STLS;
// the commands themselves are spoken here over its stream, because
// libetpan's RETR reader rewrites line endings and stops at a NUL byte, and
// a message's bytes in the cache must be exactly what the server sent
// (dot-unstuffed, nothing else).
//
// Every session reads through a guard (stream_guard.hpp): a reply is bounded
// in size, line length and time; a RETR above max_message_size, endless or
// trickling is cut off (the connection is then spent).
//
// One session per thread. Message bytes handed to a callback live only
// during the call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/result.hpp"
#include "wrap/protocol_trace.hpp"
#include "wrap/imap_session.hpp"
#include "wrap/pop3_reply.hpp"

struct mailpop3;
struct _mailstream;

namespace mailferry::wrap {

class Pop3Session {
public:
    explicit Pop3Session(int timeout_seconds, uint64_t max_message_size = kDefaultMaxMessageSize);
    ~Pop3Session();  // QUIT when still connected, then frees
    Pop3Session(const Pop3Session&) = delete;
    Pop3Session& operator=(const Pop3Session&) = delete;

    Status connect_tls(const std::string& host, uint16_t port);
    Status connect_plain(const std::string& host, uint16_t port);
    Status stls();
    // CAPA lines, upper-cased: "UIDL", "STLS", "USER", "SASL XOAUTH2 PLAIN". Empty if CAPA is refused.
    Result<std::vector<std::string>> capa();
    Status login(const std::string& user, const std::string& password);  // USER + PASS
    // AUTH with a one-step SASL mechanism, initial response on the command
    // line (RFC 5034). A "+ <challenge>" after it is the server's error report:
    // answered with failure_ack so that the -ERR follows. Refusal: kind auth.
    Status authenticate(const std::string& mechanism, std::string_view initial_response,
                        std::string_view failure_ack);
    // LIST, and UIDL when the server has it.
    Result<std::vector<Pop3Listing>> list(bool with_uidl);
    // RETR: the message, dot-unstuffed, line endings as sent. expected_size
    // (LIST's) only sizes the buffer. A message over max_message_size, or one
    // that comes slower than the whole-message deadline allows (--timeout
    // seconds, then 4 KB/s on average), is cut off: kind too_big or temporary,
    // and stopped_by_limit() says it was the message, not the network.
    Status retr(uint32_t number, const std::function<Status(std::string_view)>& on_message,
                uint64_t expected_size = 0);
    Status dele(uint32_t number);
    // QUIT: the server commits DELEs only now (RFC 1939 §6).
    Status quit();

    _mailstream* stream() const;
    std::string last_response() const { return last_response_; }
    bool stopped_by_limit() const;

private:
    Status send(const std::string& line);
    Result<std::string> read_line();  // without its line ending
    // Sends a command and reads its status line; -ERR is an Error of `kind`.
    Result<std::string> command(const std::string& line, ErrorKind kind, const std::string& what);
    // Reads a multi-line answer up to ".", calling on_line with each line (raw, EOL included, dot-unstuffed).
    Status read_multiline(const std::function<Status(std::string_view)>& on_line);
    Error lost(const std::string& what) const;
    Status read_message(uint32_t number, uint64_t expected_size, std::string& message);
    Status start(_mailstream* opened, const std::string& what);  // greeting, guarded from its first byte
    // A reply left half read: the connection is spent (no QUIT).
    void abandon();

    struct Free {
        void operator()(mailpop3* p) const;
    };
    // --debug; declared first, so that it outlives the session that logs to it.
    std::unique_ptr<ProtocolTrace, ProtocolTraceFree> trace_;
    std::unique_ptr<mailpop3, Free> pop_;
    std::string sni_host_;
    std::string last_response_;
    int timeout_;
    uint64_t max_message_size_;
    bool connected_ = false;
};

}  // namespace mailferry::wrap
