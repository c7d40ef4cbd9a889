// One side of a proxied connection: a non-blocking socket, with or without
// TLS, plus its pending output.  Owns the fd and the SSL object (RAII).
// Not thread-safe: used only by its connection's thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

namespace mailferry::test::fault_proxy {

struct SslCtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Throw std::runtime_error with OpenSSL's error text.
SslCtxPtr make_server_ctx(const std::string& cert_file, const std::string& key_file);
SslCtxPtr make_client_ctx();  // no verification: the upstream is our own Dovecot

// The most recent OpenSSL error (clears the queue), "" if none.
std::string ssl_error_text();

class Endpoint {
public:
    using Clock = std::chrono::steady_clock;
    enum class Io { ok, again, eof, error };

    Endpoint() = default;
    ~Endpoint() { close(false); }
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;

    // Takes ownership of fd (made non-blocking).  ctx null = plain TCP.
    void attach(int fd, SSL_CTX* ctx, bool server_side);
    // Runs the TLS handshake to the end (nothing to do for plain TCP), giving up
    // at the deadline or when stop_fd becomes readable.  On failure `error` says why.
    bool handshake(Clock::time_point deadline, int stop_fd, std::string& error);

    // Appends up to `max` bytes to dst.  again: nothing now (see poll_events).
    Io read_some(std::string& dst, std::size_t max);
    void queue(std::string_view bytes) { out_.append(bytes); }
    Io flush();  // writes what it can of the queued output
    std::size_t queued() const { return out_.size() - out_off_; }
    void discard_queued() { out_.clear(); out_off_ = 0; }

    // poll(2) events needed, given whether the owner wants to read.
    short poll_events(bool want_read) const;
    // Decrypted bytes waiting inside OpenSSL (poll would not report them).
    bool has_buffered_input() const;

    // graceful: send TLS close_notify first (best effort, never waits).
    void close(bool graceful);
    bool is_open() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    const std::string& last_error() const { return error_; }

private:
    Io ssl_result(int ret, bool reading);

    int fd_ = -1;
    SSL* ssl_ = nullptr;
    std::string out_;
    std::size_t out_off_ = 0;
    bool read_wants_write_ = false;
    bool write_wants_read_ = false;
    std::string error_;
};

// A non-blocking connection to 127.0.0.1:port, or -1 with `error` set.
int connect_local(int port, Endpoint::Clock::time_point deadline, int stop_fd, std::string& error);

}  // namespace mailferry::test::fault_proxy
