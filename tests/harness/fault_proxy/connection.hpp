// One proxied connection, run by its own thread: accepts TLS from the client,
// opens TLS (or plain TCP) to the upstream, and relays both ways through two
// delay queues (--latency-ms), the IMAP filter (--rule, --close-after-greeting)
// and the byte-count faults (--drop-after-bytes, --stall-after-bytes).
// Everything is non-blocking and driven by one poll(2) loop, so a delay or a
// full socket in one direction never holds up the other.
#pragma once

#include "endpoint.hpp"
#include "event_log.hpp"
#include "imap_filter.hpp"
#include "options.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

namespace mailferry::test::fault_proxy {

// What every connection shares; outlives all connection threads.
struct ProxyContext {
    const Options& options;
    SSL_CTX* server_ctx;  // toward the client; null with --plain
    SSL_CTX* client_ctx;  // toward the upstream; null with --plain
    RuleSet& rules;
    const EventLog& log;
    int stop_fd;  // becomes readable when the proxy stops (SIGTERM, --max-seconds)
};

class Connection {
public:
    // Takes ownership of client_fd.
    Connection(const ProxyContext& ctx, int client_fd, int id, std::string peer);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Relays until the connection is over; logs "open" and "close".  Never throws
    // for network trouble (it ends the connection).
    void run();

private:
    using Clock = std::chrono::steady_clock;
    // relaying: normal.  to_upstream: the client left, deliver what it sent.
    // to_client: the server left or a fault closes, deliver what the client is owed.
    // dropping: --drop-after-bytes hit, flush the upstream and cut.  stalled: silent.
    enum class Phase { relaying, to_upstream, to_client, dropping, stalled, done };
    struct Chunk {
        Clock::time_point at;
        std::string bytes;
    };

    bool establish();
    void release_due(Clock::time_point now);
    void take_filter_output(ImapFilter::Out& out, Clock::time_point now);
    void forward_up(std::string_view bytes);
    void queue_down(std::string_view bytes, Clock::time_point now);
    bool flush();
    bool check_done(Clock::time_point now);
    void poll_once(Clock::time_point now);
    int poll_timeout(Clock::time_point now, bool reading) const;
    void read_client(Clock::time_point now);
    void read_upstream(Clock::time_point now);
    void enter(Phase phase, std::string reason);
    void finish(const std::string& reason, bool graceful);
    std::uint64_t up_budget() const;  // bytes that may still go upstream before a drop/stall
    std::size_t backlog_up() const;
    std::size_t backlog_down() const;

    const ProxyContext& ctx_;
    int id_;
    std::string peer_;
    int client_fd_;
    Endpoint client_;
    Endpoint upstream_;
    ImapFilter filter_;
    std::chrono::milliseconds latency_;
    std::deque<Chunk> c2s_;  // read from the client, not yet due
    std::deque<Chunk> s2c_;  // for the client, not yet due
    std::size_t c2s_bytes_ = 0;
    std::size_t s2c_bytes_ = 0;
    std::uint64_t relayed_up_ = 0;    // bytes handed to the upstream
    std::uint64_t relayed_down_ = 0;  // bytes handed to the client
    std::uint64_t drop_at_;
    std::uint64_t stall_at_;
    Phase phase_ = Phase::relaying;
    std::string reason_;
    Clock::time_point phase_deadline_;
};

}  // namespace mailferry::test::fault_proxy
