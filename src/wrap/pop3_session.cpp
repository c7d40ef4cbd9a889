#include "wrap/pop3_session.hpp"

#include <libetpan/libetpan.h>

#include <algorithm>
#include <cctype>

#include "mailferry/base64.hpp"
#include "wrap/imap_reply.hpp"

namespace mailferry::wrap {
namespace {

struct MMapFree {
    void operator()(MMAPString* s) const { mmap_string_free(s); }
};

void set_sni(struct mailstream_ssl_context* ctx, void* data) {
    auto host = static_cast<std::string*>(data);
    if (!host->empty()) mailstream_ssl_set_server_name(ctx, const_cast<char*>(host->c_str()));
}

bool is_ok(const std::string& line) { return line.rfind("+OK", 0) == 0; }

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    return s;
}

std::string trimmed(const std::string& line) { return line.substr(0, 200); }

}  // namespace

void Pop3Session::Free::operator()(mailpop3* p) const { mailpop3_free(p); }

Pop3Session::Pop3Session(int timeout_seconds) : pop_(mailpop3_new(0, nullptr)) {
    if (pop_) mailpop3_set_timeout(pop_.get(), timeout_seconds);
}

Pop3Session::~Pop3Session() {
    if (connected_) (void)quit();
}

_mailstream* Pop3Session::stream() const { return pop_ ? pop_->pop3_stream : nullptr; }

Error Pop3Session::lost(const std::string& what) const {
    Error e = make_error(ErrorKind::temporary, Radius::account, what + ": the connection was lost");
    e.retry = Retry::later;
    return e;
}

Status Pop3Session::connect_tls(const std::string& host, uint16_t port) {
    sni_host_ = host;
    int rc = mailpop3_ssl_connect_with_callback(pop_.get(), host.c_str(), port, set_sni, &sni_host_);
    if (rc == MAILPOP3_ERROR_SSL)
        return make_error(ErrorKind::tls, Radius::account, "TLS handshake with " + host + ":" + std::to_string(port) + " failed");
    if (rc != MAILPOP3_NO_ERROR) {
        Error e = make_error(ErrorKind::temporary, Radius::account,
                             "cannot connect over TLS to " + host + ":" + std::to_string(port));
        e.retry = Retry::later;
        return e;
    }
    connected_ = true;
    return {};
}

Status Pop3Session::connect_plain(const std::string& host, uint16_t port) {
    sni_host_ = host;
    int rc = mailpop3_socket_connect(pop_.get(), host.c_str(), port);
    if (rc != MAILPOP3_NO_ERROR) {
        Error e = make_error(ErrorKind::temporary, Radius::account, "cannot connect to " + host + ":" + std::to_string(port));
        e.retry = Retry::later;
        return e;
    }
    connected_ = true;
    return {};
}

Status Pop3Session::stls() {
    int rc = mailpop3_socket_starttls_with_callback(pop_.get(), set_sni, &sni_host_);
    if (rc != MAILPOP3_NO_ERROR) return make_error(ErrorKind::tls, Radius::account, "STLS failed");
    return {};
}

Status Pop3Session::send(const std::string& line) {
    std::string data = line + "\r\n";
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
        ssize_t n = mailstream_write(stream(), p, left);
        if (n <= 0) return lost("POP3");
        p += n;
        left -= size_t(n);
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
    auto p = command("PASS " + password, ErrorKind::auth, "the login of " + user);
    if (!p) return p.error();
    return {};
}

Status Pop3Session::authenticate(const std::string& mechanism, std::string_view initial_response,
                                 std::string_view failure_ack) {
    MF_TRY(send("AUTH " + mechanism + " " + base64_encode(initial_response)));
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

Status Pop3Session::retr(uint32_t number, const std::function<Status(std::string_view)>& on_message) {
    auto r = command("RETR " + std::to_string(number), ErrorKind::protocol, "RETR " + std::to_string(number));
    if (!r) return r.error();
    std::string message;
    MF_TRY(read_multiline([&](std::string_view line) {
        message.append(line);
        return Status{};
    }));
    return on_message(message);
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
