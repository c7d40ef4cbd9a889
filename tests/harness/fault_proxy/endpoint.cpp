#include "endpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mailferry::test::fault_proxy {
namespace {

int ms_until(Endpoint::Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Endpoint::Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1000));
}

// Waits for `events` on fd; false on timeout/stop.
bool wait_for(int fd, short events, Endpoint::Clock::time_point deadline, int stop_fd, std::string& error) {
    while (true) {
        if (Endpoint::Clock::now() >= deadline) {
            error = "timeout";
            return false;
        }
        pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
        int n = ::poll(fds, 2, ms_until(deadline));
        if (n < 0 && errno != EINTR) {
            error = std::string("poll: ") + std::strerror(errno);
            return false;
        }
        if (fds[1].revents != 0) {
            error = "stopping";
            return false;
        }
        if (n > 0 && fds[0].revents != 0) return true;
    }
}

}  // namespace

std::string ssl_error_text() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return {};
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

SslCtxPtr make_server_ctx(const std::string& cert_file, const std::string& key_file) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) throw std::runtime_error("SSL_CTX_new: " + ssl_error_text());
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_num_tickets(ctx.get(), 0);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1)
        throw std::runtime_error("cannot load certificate " + cert_file + ": " + ssl_error_text());
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error("cannot load key " + key_file + ": " + ssl_error_text());
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
        throw std::runtime_error("key does not match certificate: " + ssl_error_text());
    return ctx;
}

SslCtxPtr make_client_ctx() {
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) throw std::runtime_error("SSL_CTX_new: " + ssl_error_text());
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

void Endpoint::attach(int fd, SSL_CTX* ctx, bool server_side) {
    close(false);
    fd_ = fd;
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (ctx == nullptr) return;
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr) throw std::runtime_error("SSL_new: " + ssl_error_text());
    SSL_set_fd(ssl_, fd_);
    if (server_side) {
        SSL_set_accept_state(ssl_);
    } else {
        SSL_set_connect_state(ssl_);
        SSL_set_tlsext_host_name(ssl_, "localhost");
    }
}

bool Endpoint::handshake(Clock::time_point deadline, int stop_fd, std::string& error) {
    if (ssl_ == nullptr) return true;
    while (true) {
        ERR_clear_error();
        int ret = SSL_do_handshake(ssl_);
        if (ret == 1) return true;
        int err = SSL_get_error(ssl_, ret);
        short ev = 0;
        if (err == SSL_ERROR_WANT_READ) ev = POLLIN;
        else if (err == SSL_ERROR_WANT_WRITE) ev = POLLOUT;
        if (ev == 0) {
            error = "TLS handshake failed: " + ssl_error_text();
            return false;
        }
        if (!wait_for(fd_, ev, deadline, stop_fd, error)) {
            error = "TLS handshake: " + error;
            return false;
        }
    }
}

Endpoint::Io Endpoint::ssl_result(int ret, bool reading) {
    int err = SSL_get_error(ssl_, ret);
    switch (err) {
    case SSL_ERROR_WANT_READ:
        if (!reading) write_wants_read_ = true;
        return Io::again;
    case SSL_ERROR_WANT_WRITE:
        if (reading) read_wants_write_ = true;
        return Io::again;
    case SSL_ERROR_ZERO_RETURN:
        return Io::eof;
    case SSL_ERROR_SYSCALL:
        if (errno == 0) return Io::eof;
        error_ = std::strerror(errno);
        return Io::error;
    default:
        error_ = ssl_error_text();
        return Io::error;
    }
}

Endpoint::Io Endpoint::read_some(std::string& dst, std::size_t max) {
    if (fd_ < 0) return Io::eof;
    char buf[16384];
    std::size_t total = 0;
    while (total < max) {
        std::size_t want = std::min(sizeof buf, max - total);
        ssize_t n;
        if (ssl_ != nullptr) {
            read_wants_write_ = false;
            ERR_clear_error();
            errno = 0;
            int ret = SSL_read(ssl_, buf, static_cast<int>(want));
            if (ret <= 0) {
                Io r = ssl_result(ret, true);
                return total > 0 ? Io::ok : r;  // EOF or an error is reported again on the next call
            }
            n = ret;
        } else {
            n = ::recv(fd_, buf, want, 0);
            if (n == 0) return total ? Io::ok : Io::eof;
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return total ? Io::ok : Io::again;
                error_ = std::strerror(errno);
                return total ? Io::ok : Io::error;
            }
        }
        dst.append(buf, static_cast<std::size_t>(n));
        total += static_cast<std::size_t>(n);
    }
    return Io::ok;
}

Endpoint::Io Endpoint::flush() {
    if (fd_ < 0) return Io::error;
    while (out_off_ < out_.size()) {
        std::size_t len = std::min<std::size_t>(out_.size() - out_off_, 1 << 20);
        ssize_t n;
        if (ssl_ != nullptr) {
            write_wants_read_ = false;
            ERR_clear_error();
            errno = 0;
            int ret = SSL_write(ssl_, out_.data() + out_off_, static_cast<int>(len));
            if (ret <= 0) return ssl_result(ret, false);
            n = ret;
        } else {
            n = ::send(fd_, out_.data() + out_off_, len, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::again;
                error_ = std::strerror(errno);
                return Io::error;
            }
        }
        out_off_ += static_cast<std::size_t>(n);
    }
    out_.clear();
    out_off_ = 0;
    return Io::ok;
}

short Endpoint::poll_events(bool want_read) const {
    if (fd_ < 0) return 0;
    short ev = 0;
    if (want_read || write_wants_read_) ev |= POLLIN;
    if ((queued() > 0 && !write_wants_read_) || read_wants_write_) ev |= POLLOUT;
    return ev;
}

bool Endpoint::has_buffered_input() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

void Endpoint::close(bool graceful) {
    if (ssl_ != nullptr) {
        if (graceful) {
            ERR_clear_error();
            SSL_shutdown(ssl_);  // sends close_notify if the socket takes it; never waits for the peer's
        }
        SSL_free(ssl_);
        ssl_ = nullptr;
        ERR_clear_error();
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    discard_queued();
}

int connect_local(int port, Endpoint::Clock::time_point deadline, int stop_fd, std::string& error) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return -1;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
        error = std::string("connect: ") + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    if (!wait_for(fd, POLLOUT, deadline, stop_fd, error)) {
        error = "connect: " + error;
        ::close(fd);
        return -1;
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
        error = std::string("connect: ") + std::strerror(so_error);
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace mailferry::test::fault_proxy
