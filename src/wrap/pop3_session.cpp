#include "wrap/pop3_session.hpp"

#include <libetpan/libetpan.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"
#include "core/base64.hpp"
#include "core/secret.hpp"
#include "wrap/imap_reply.hpp"
#include "wrap/stream_guard.hpp"
#include "wrap/tls_verify.hpp"

// libetpan's own connect helper (connect.h, which Debian does not install):
// opening the stream ourselves lets the guard read the greeting too.
extern "C" int mail_tcp_connect_timeout(const char* server, uint16_t port, time_t timeout);

namespace mailferry::wrap {
namespace {

struct MMapFree {
    void operator()(MMAPString* s) const { mmap_string_free(s); }
};

bool is_ok(const std::string& line) { return line.rfind("+OK", 0) == 0; }

using ascii::upper;

std::string trimmed(const std::string& line) { return line.substr(0, 200); }

// A command's reply: a UIDL of a million messages is some 80 MB; the per-read
// timeout still bounds any silence.
StreamLimits command_limits(int timeout) {
    StreamLimits l;
    l.max_bytes = 256ull << 20;
    l.grace_seconds = std::max(600, 10 * timeout);
    return l;
}

// RETR: a message's lines may be as long as the message; dot-stuffing adds at
// most a byte a line. The whole-message deadline: --timeout, then 4 KB/s.
StreamLimits retr_limits(int timeout, uint64_t max_message_size) {
    StreamLimits l;
    l.max_bytes = max_message_size + max_message_size / 8 + (1u << 20);
    l.max_line = l.max_bytes;
    l.grace_seconds = std::max(1, timeout);
    return l;
}

}  // namespace

void Pop3Session::Free::operator()(mailpop3* p) const { mailpop3_free(p); }

Pop3Session::Pop3Session(int timeout_seconds, uint64_t max_message_size)
    : pop_(mailpop3_new(0, nullptr)), timeout_(timeout_seconds), max_message_size_(max_message_size) {
    if (pop_) mailpop3_set_timeout(pop_.get(), timeout_seconds);
}

Pop3Session::~Pop3Session() {
    if (connected_) (void)quit();
}

_mailstream* Pop3Session::stream() const { return pop_ ? pop_->pop3_stream : nullptr; }

Error Pop3Session::lost(const std::string& what) const { return guard_error(stream(), what); }

bool Pop3Session::stopped_by_limit() const {
    StreamGuard* g = stream_guard_of(stream());
    GuardStop stop = g ? g->report().stop : GuardStop::none;
    return stop == GuardStop::line_too_long || stop == GuardStop::too_many_bytes || stop == GuardStop::too_slow;
}

void Pop3Session::abandon() {
    if (StreamGuard* g = stream_guard_of(stream())) g->stop(GuardStop::abandoned);
    connected_ = false;  // no QUIT: it would be read as part of the old reply (and commit DELEs)
}

Status Pop3Session::start(mailstream* opened, const std::string& what) {
    if (!install_stream_guard(opened, command_limits(timeout_))) {
        mailstream_close(opened);
        return make_error(ErrorKind::internal, Radius::account, what + ": out of memory");
    }
    // libetpan puts its own logger on the stream when it connects, which
    // calls the session's: the --debug trace hangs there, greeting included.
    trace_ = open_protocol_trace();
    if (trace_)
        mailpop3_set_logger(
            pop_.get(),
            [](mailpop3*, int type, const char* str, size_t size, void* trace) { protocol_trace_log(trace, type, str, size); },
            trace_.get());
    if (mailpop3_connect(pop_.get(), opened) != MAILPOP3_NO_ERROR) {
        if (StreamGuard* g = stream_guard_of(stream()); g && g->stopped()) return lost(what);
        Error e = make_error(ErrorKind::temporary, Radius::account, what);
        e.retry = Retry::later;
        return e;
    }
    connected_ = true;
    return {};
}

Status Pop3Session::connect_tls(const std::string& host, uint16_t port) {
    sni_host_ = host;
    // mailpop3_ssl_connect_with_callback() as libetpan writes it, with the
    // guard in place before the greeting is read.
    const std::string where = host + ":" + std::to_string(port);
    int fd = mail_tcp_connect_timeout(host.c_str(), port, timeout_);
    if (fd < 0) {
        Error e = make_error(ErrorKind::temporary, Radius::account, "cannot connect over TLS to " + where);
        e.retry = Retry::later;
        return e;
    }
    TlsSetup tls{host};
    mailstream* s = mailstream_ssl_open_with_callback_timeout(fd, timeout_, on_tls_setup, &tls);
    if (!s) {
        close(fd);
        return make_error(ErrorKind::tls, Radius::account, "TLS handshake with " + where + " failed");
    }
    if (Status modern = require_tls12(tls, where); !modern) {
        mailstream_close(s);
        return modern;
    }
    return start(s, "cannot connect over TLS to " + where);
}

Status Pop3Session::connect_plain(const std::string& host, uint16_t port) {
    sni_host_ = host;
    const std::string what = "cannot connect to " + host + ":" + std::to_string(port);
    int fd = mail_tcp_connect_timeout(host.c_str(), port, timeout_);
    mailstream* s = fd < 0 ? nullptr : mailstream_socket_open_timeout(fd, timeout_);
    if (!s) {
        if (fd >= 0) close(fd);
        Error e = make_error(ErrorKind::temporary, Radius::account, what);
        e.retry = Retry::later;
        return e;
    }
    return start(s, what);
}

Status Pop3Session::stls() {
    // mailpop3_socket_starttls_with_callback() in two steps, so that nothing
    // the server slipped in after its +OK is read as if it came over TLS.
    int rc = mailpop3_stls(pop_.get());
    if (Status clean = refuse_data_before_handshake(stream(), "STLS"); !clean) {
        abandon();  // out of step: no QUIT in plain text
        return clean;
    }
    if (rc != MAILPOP3_NO_ERROR) return make_error(ErrorKind::tls, Radius::account, "STLS failed");
    if (Status tls = switch_to_tls(stream(), timeout_, sni_host_); !tls) {
        abandon();  // no TLS to say QUIT over, or one we refuse to speak
        return tls;
    }
    // The TLS layer replaced the guarded plain one: guard it again.
    if (!install_stream_guard(stream(), command_limits(timeout_)))
        return make_error(ErrorKind::internal, Radius::account, "out of memory after STLS");
    return {};
}

Status Pop3Session::send(const std::string& line) {
    // The line and its CRLF go out as two writes, not one joined copy: a PASS
    // or AUTH line holds a secret, and a copy here would outlive it unwiped.
    for (std::string_view part : {std::string_view(line), std::string_view("\r\n")}) {
        while (!part.empty()) {
            ssize_t n = mailstream_write(stream(), part.data(), part.size());
            if (n <= 0) return lost("POP3");
            part.remove_prefix(size_t(n));
        }
    }
    if (mailstream_flush(stream()) != 0) return lost("POP3");
    return {};
}

Result<std::string> Pop3Session::read_line() {
    std::unique_ptr<MMAPString, MMapFree> buf(mmap_string_new(""));
    char* line = mailstream_read_line_remove_eol(stream(), buf.get());
    if (!line) return lost("POP3");
    return std::string(line);
}

Result<std::string> Pop3Session::command(const std::string& line, ErrorKind kind, const std::string& what) {
    MF_TRY(send(line));
    auto reply = read_line();
    if (!reply) return reply.error();
    last_response_ = trimmed(*reply);
    if (is_ok(*reply)) return *reply;
    Error e = make_error(kind, kind == ErrorKind::auth ? Radius::account : Radius::folder, what + " refused");
    e.server_text = last_response_;
    return e;
}

Status Pop3Session::read_multiline(const std::function<Status(std::string_view)>& on_line) {
    std::unique_ptr<MMAPString, MMapFree> buf(mmap_string_new(""));
    for (;;) {
        mmap_string_truncate(buf.get(), 0);
        // mailstream_read_line keeps the line ending and counts bytes, not
        // C-string length: a NUL byte or a bare LF passes through unchanged.
        if (!mailstream_read_line(stream(), buf.get())) return lost("POP3");
        std::string_view line;
        switch (multiline_step(std::string_view(buf->str, buf->len), line)) {
        case MultilineStep::end: return {};
        case MultilineStep::truncated: return lost("POP3");  // the stream ended inside a line
        case MultilineStep::line: break;
        }
        MF_TRY(on_line(line));
    }
}

Result<std::vector<std::string>> Pop3Session::capa() {
    MF_TRY(send("CAPA"));
    auto reply = read_line();
    if (!reply) return reply.error();
    std::vector<std::string> caps;
    if (!is_ok(*reply)) return caps;  // RFC 1939 servers have no CAPA
    MF_TRY(read_multiline([&](std::string_view l) {
        std::string s(l);
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        caps.push_back(upper(s));
        return Status{};
    }));
    return caps;
}

Status Pop3Session::login(const std::string& user, const std::string& password) {
    auto u = command("USER " + user, ErrorKind::auth, "USER " + user);
    if (!u) return u.error();
    // The password never goes into an error: only the server's reply does.
    SecretString pass_line;
    pass_line.reserve(5 + password.size());
    pass_line.append("PASS ");
    pass_line.append(password);
    mailstream_set_privacy(stream(), 0);  // the --debug trace shows *** for it
    auto p = command(pass_line.reveal(), ErrorKind::auth, "the login of " + user);
    if (stream()) mailstream_set_privacy(stream(), 1);
    if (!p) return p.error();
    return {};
}

Status Pop3Session::authenticate(const std::string& mechanism, std::string_view initial_response,
                                 std::string_view failure_ack) {
    const SecretString response(base64_encode(initial_response));
    SecretString auth_line;
    auth_line.reserve(6 + mechanism.size() + response.size());
    for (std::string_view piece : {std::string_view("AUTH "), std::string_view(mechanism), std::string_view(" "),
                                   std::string_view(response.reveal())})
        auth_line.append(piece);
    MF_TRY(send(auth_line.reveal()));
    std::string challenge;
    for (;;) {
        auto reply = read_line();
        if (!reply) return reply.error();
        if (is_ok(*reply)) return {};
        if (reply->rfind("+", 0) == 0 && challenge.empty()) {
            challenge = sasl_challenge_text(*reply);
            MF_TRY(send(std::string(failure_ack)));
            continue;
        }
        Error e = make_error(ErrorKind::auth, Radius::account, "AUTH " + mechanism + " refused");
        e.server_text = trimmed(*reply);
        if (!challenge.empty()) e.server_text += " [" + challenge + "]";
        return e;
    }
}

Result<std::vector<Pop3Listing>> Pop3Session::list(bool with_uidl) {
    std::vector<Pop3Listing> out;
    auto l = command("LIST", ErrorKind::protocol, "LIST");
    if (!l) return l.error();
    MF_TRY(read_multiline([&](std::string_view line) {
        if (auto m = parse_list_line(line)) out.push_back(std::move(*m));
        return Status{};
    }));
    if (!with_uidl) return out;
    auto u = command("UIDL", ErrorKind::protocol, "UIDL");
    if (!u) {
        if (u.error().kind == ErrorKind::temporary) return u.error();
        return out;  // -ERR: a server without UIDL (RFC 1939 makes it optional)
    }
    std::vector<std::pair<uint32_t, std::string>> uidls;
    MF_TRY(read_multiline([&](std::string_view line) {
        if (auto u = parse_uidl_line(line)) uidls.push_back(std::move(*u));
        return Status{};
    }));
    attach_uidls(out, uidls);
    return out;
}

Status Pop3Session::retr(uint32_t number, const std::function<Status(std::string_view)>& on_message,
                         uint64_t expected_size) {
    StreamGuard* guard = stream_guard_of(stream());
    if (guard) guard->set_limits(retr_limits(timeout_, max_message_size_));  // sending RETR starts its clock
    std::string message;
    Status read = read_message(number, expected_size, message);
    if (guard) guard->set_limits(command_limits(timeout_));
    MF_TRY(read);
    return on_message(message);
}

Status Pop3Session::read_message(uint32_t number, uint64_t expected_size, std::string& message) {
    auto r = command("RETR " + std::to_string(number), ErrorKind::protocol, "RETR " + std::to_string(number));
    if (!r) return r.error();
    const uint64_t cap = max_message_size_;
    message.reserve(static_cast<size_t>(std::min(expected_size + expected_size / 16 + 4096, cap)));
    Status body = read_multiline([&](std::string_view line) -> Status {
        if (message.size() + line.size() > cap)
            return make_error(ErrorKind::too_big, Radius::message,
                              "the message is larger than the limit of " + std::to_string(cap >> 20) +
                                  " MB (--max-message-size): not fetched");
        // Doubling, but never past the cap: a server that lied in LIST costs
        // at most the cap, not twice it.
        if (message.size() + line.size() > message.capacity())
            message.reserve(static_cast<size_t>(
                std::min<uint64_t>(std::max(2 * message.capacity(), message.size() + line.size()), cap)));
        message.append(line);
        return Status{};
    });
    if (!body) abandon();  // the rest of the message is still on its way
    return body;
}

Status Pop3Session::dele(uint32_t number) {
    auto r = command("DELE " + std::to_string(number), ErrorKind::protocol, "DELE " + std::to_string(number));
    if (!r) return r.error();
    return {};
}

Status Pop3Session::quit() {
    if (!connected_) return {};
    connected_ = false;
    auto r = command("QUIT", ErrorKind::protocol, "QUIT");
    if (!r) return r.error();
    return {};
}

}  // namespace mailferry::wrap
