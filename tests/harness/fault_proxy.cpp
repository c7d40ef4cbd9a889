// fault_proxy: a fault-injecting TLS (or plain TCP) proxy between mailferry
// and the harness Dovecot, for integration tests of fetch and replay.  It
// terminates TLS with a given certificate, so it can read IMAP commands and
// answer some of them itself the way Office 365 does when it throttles.
// Usage and the log format: fault_proxy.md.  Listens on 127.0.0.1 only and
// exits by itself after --max-seconds.
#include "fault_proxy/connection.hpp"
#include "fault_proxy/endpoint.hpp"
#include "fault_proxy/event_log.hpp"
#include "fault_proxy/options.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <list>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fp = mailferry::test::fault_proxy;

namespace {

using Clock = std::chrono::steady_clock;

// Written by the signal handler and by main when it stops; never drained, so
// every poll() watching the read end wakes up for good.
int g_stop_pipe[2] = {-1, -1};

void on_signal(int) {
    int saved = errno;
    char c = 's';
    [[maybe_unused]] ssize_t n = ::write(g_stop_pipe[1], &c, 1);
    errno = saved;
}

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void install_signals() {
    if (::pipe2(g_stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno("pipe2");
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

// A listening socket on 127.0.0.1:port (0 = any); returns the fd and sets port.
int open_listener(int& port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw_errno("socket");
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw_errno("bind 127.0.0.1:" + std::to_string(port));
    if (::listen(fd, 128) != 0) throw_errno("listen");
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) throw_errno("getsockname");
    port = ntohs(addr.sin_port);
    return fd;
}

// Written to a temporary name and renamed, so a test polling for the file
// never reads half a number.
void write_port_file(const std::string& path, int port) {
    if (path.empty()) return;
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << port << "\n";
        if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename " + tmp + " -> " + path);
}

struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
};

std::string peer_name(const sockaddr_in& a) {
    char buf[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}

void start_worker(std::list<Worker>& workers, const fp::ProxyContext& ctx, int fd, int id, std::string peer) {
    Worker& w = workers.emplace_back();
    w.thread = std::thread([&ctx, &w, fd, id, peer = std::move(peer)] {
        try {
            fp::Connection conn(ctx, fd, id, peer);
            conn.run();
        } catch (const std::exception& e) {
            ctx.log.write(id, "error", "detail=" + fp::EventLog::quote(e.what()));
        }
        w.done = true;
    });
}

std::size_t reap(std::list<Worker>& workers) {
    for (auto it = workers.begin(); it != workers.end();) {
        if (it->done) {
            it->thread.join();
            it = workers.erase(it);
        } else {
            ++it;
        }
    }
    return workers.size();
}

// Accepts until SIGTERM/SIGINT or --max-seconds; returns why it stopped.
std::string accept_loop(int listen_fd, const fp::ProxyContext& ctx, std::list<Worker>& workers) {
    const fp::Options& opt = ctx.options;
    auto deadline = Clock::now() + std::chrono::seconds(opt.max_seconds);
    int next_id = 1;
    while (true) {
        std::size_t active = reap(workers);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return "max-seconds";
        pollfd fds[2] = {{listen_fd, POLLIN, 0}, {ctx.stop_fd, POLLIN, 0}};
        if (::poll(fds, 2, static_cast<int>(std::min<long long>(left, 500))) < 0 && errno != EINTR)
            throw_errno("poll");
        if (fds[1].revents != 0) return "signal";
        if (!(fds[0].revents & POLLIN)) continue;
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
        if (fd < 0) continue;
        int id = next_id++;
        if (active >= static_cast<std::size_t>(opt.max_connections)) {
            ctx.log.write(id, "refuse", "peer=" + peer_name(peer) + " active=" + std::to_string(active));
            ::close(fd);
            continue;
        }
        start_worker(workers, ctx, fd, id, peer_name(peer));
    }
}

int run(const fp::Options& opt) {
    install_signals();
    fp::EventLog log(opt.log_file);
    fp::SslCtxPtr server_ctx;
    fp::SslCtxPtr client_ctx;
    if (!opt.plain) {
        server_ctx = fp::make_server_ctx(opt.cert_file, opt.key_file);
        client_ctx = fp::make_client_ctx();
    }
    fp::RuleSet rules(opt.rules);
    int port = opt.listen_port;
    int listen_fd = open_listener(port);
    std::string fields = "port=" + std::to_string(port) + " upstream=" + std::to_string(opt.upstream_port) +
                         " mode=" + (opt.plain ? "plain" : "tls");
    for (const fp::Rule& r : opt.rules) fields += " rule=" + fp::EventLog::quote(r.spec);
    log.write(0, "listen", fields);
    write_port_file(opt.port_file, port);

    fp::ProxyContext ctx{opt, server_ctx.get(), client_ctx.get(), rules, log, g_stop_pipe[0]};
    std::list<Worker> workers;
    std::string reason;
    try {
        reason = accept_loop(listen_fd, ctx, workers);
    } catch (...) {
        on_signal(0);  // stop the connection threads before unwinding what they use
        for (Worker& w : workers) w.thread.join();
        throw;
    }
    ::close(listen_fd);
    on_signal(0);  // wakes every connection thread: they close and return
    for (Worker& w : workers) w.thread.join();
    log.write(0, "exit", "reason=" + reason);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    fp::Options opt;
    try {
        opt = fp::parse_options(argc, argv);
    } catch (const fp::HelpRequested&) {
        std::fputs(fp::usage_text(), stdout);
        return 0;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "fault_proxy: %s\n%s", e.what(), fp::usage_text());
        return 2;
    }
    try {
        return run(opt);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fault_proxy: %s\n", e.what());
        return 1;
    }
}
