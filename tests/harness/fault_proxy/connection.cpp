#include "connection.hpp"

#include <algorithm>
#include <limits>
#include <random>
#include <utility>

#include <poll.h>
#include <unistd.h>

namespace mailferry::test::fault_proxy {
namespace {

constexpr std::size_t kMaxBacklog = 4 << 20;  // stop reading a side while this much is queued from it
constexpr std::size_t kReadChunk = 256 << 10;
constexpr auto kSetupTimeout = std::chrono::seconds(10);
constexpr auto kDrainTimeout = std::chrono::seconds(5);
constexpr auto kTick = std::chrono::milliseconds(200);  // filter timeouts are checked this often
constexpr auto kNever = std::numeric_limits<std::uint64_t>::max();

std::uint64_t drop_threshold(const Options& o, int id) {
    if (!o.drop_after_bytes) return kNever;
    double n = static_cast<double>(*o.drop_after_bytes);
    if (o.drop_jitter_percent > 0) {
        std::mt19937_64 rng(o.seed ? *o.seed + static_cast<std::uint64_t>(id) : std::random_device{}());
        std::uniform_real_distribution<double> u(-o.drop_jitter_percent, o.drop_jitter_percent);
        n = std::max(0.0, n * (1 + u(rng) / 100));
    }
    return static_cast<std::uint64_t>(n + 0.5);
}

}  // namespace

Connection::Connection(const ProxyContext& ctx, int client_fd, int id, std::string peer)
    : ctx_(ctx),
      id_(id),
      peer_(std::move(peer)),
      client_fd_(client_fd),
      filter_(ctx.rules, ctx.log, id, ctx.options.close_after_greeting),
      latency_(ctx.options.latency_ms),
      drop_at_(drop_threshold(ctx.options, id)),
      stall_at_(ctx.options.stall_after_bytes.value_or(kNever)) {
    filter_.set_strip_capabilities(ctx.options.strip_capabilities);
}

Connection::~Connection() {
    if (client_fd_ >= 0) ::close(client_fd_);
}

void Connection::run() {
    if (!establish()) return;
    while (phase_ != Phase::done) {
        auto now = Clock::now();
        release_due(now);
        if (phase_ == Phase::relaying && filter_.close_requested()) enter(Phase::to_client, "fault-close");
        if (!flush() || check_done(now)) continue;
        poll_once(now);
    }
}

bool Connection::establish() {
    std::string fields = "peer=" + peer_;
    if (drop_at_ != kNever) fields += " drop-at=" + std::to_string(drop_at_);
    ctx_.log.write(id_, "open", fields);
    auto deadline = Clock::now() + kSetupTimeout;
    std::string error;
    client_.attach(std::exchange(client_fd_, -1), ctx_.server_ctx, true);
    if (!client_.handshake(deadline, ctx_.stop_fd, error)) {
        finish("client-handshake detail=" + EventLog::quote(error), false);
        return false;
    }
    int fd = connect_local(ctx_.options.upstream_port, deadline, ctx_.stop_fd, error);
    if (fd >= 0) {
        upstream_.attach(fd, ctx_.client_ctx, false);
        if (upstream_.handshake(deadline, ctx_.stop_fd, error)) return true;
    }
    finish("upstream-setup detail=" + EventLog::quote(error), false);
    return false;
}

void Connection::release_due(Clock::time_point now) {
    while ((phase_ == Phase::relaying || phase_ == Phase::to_upstream) && !c2s_.empty() && c2s_.front().at <= now) {
        Chunk chunk = std::move(c2s_.front());
        c2s_.pop_front();
        c2s_bytes_ -= chunk.bytes.size();
        ImapFilter::Out out;
        filter_.from_client(chunk.bytes, out, up_budget());
        take_filter_output(out, now);
    }
    if (phase_ == Phase::relaying) {
        ImapFilter::Out out;
        filter_.tick(now, out);
        take_filter_output(out, now);
    }
    while ((phase_ == Phase::relaying || phase_ == Phase::to_client) && !s2c_.empty() && s2c_.front().at <= now) {
        client_.queue(s2c_.front().bytes);
        relayed_down_ += s2c_.front().bytes.size();
        s2c_bytes_ -= s2c_.front().bytes.size();
        s2c_.pop_front();
    }
}

void Connection::take_filter_output(ImapFilter::Out& out, Clock::time_point now) {
    forward_up(out.up);
    queue_down(out.down, now);
}

void Connection::forward_up(std::string_view bytes) {
    if (bytes.empty() || (phase_ != Phase::relaying && phase_ != Phase::to_upstream)) return;
    std::uint64_t limit = std::min(drop_at_, stall_at_);
    std::size_t take = bytes.size();
    if (relayed_up_ + take > limit) take = static_cast<std::size_t>(limit - relayed_up_);
    upstream_.queue(bytes.substr(0, take));
    relayed_up_ += take;
    if (relayed_up_ >= drop_at_) {
        ctx_.log.write(id_, "fault", "kind=drop relayed=" + std::to_string(relayed_up_));
        client_.close(false);  // like a network cut: no TLS close_notify
        s2c_.clear();
        s2c_bytes_ = 0;
        enter(Phase::dropping, "drop");
    } else if (relayed_up_ >= stall_at_) {
        ctx_.log.write(id_, "fault", "kind=stall relayed=" + std::to_string(relayed_up_));
        s2c_.clear();
        s2c_bytes_ = 0;
        enter(Phase::stalled, "stall");
    }
}

void Connection::queue_down(std::string_view bytes, Clock::time_point now) {
    if (bytes.empty() || (phase_ != Phase::relaying && phase_ != Phase::to_client)) return;
    auto at = now + latency_;
    // Release times only grow, so one FIFO keeps the order of the server's bytes
    // and of the proxy's own replies.
    if (!s2c_.empty() && s2c_.back().at == at)
        s2c_.back().bytes.append(bytes);
    else
        s2c_.push_back({at, std::string(bytes)});
    s2c_bytes_ += bytes.size();
}

bool Connection::flush() {
    bool to_client = phase_ == Phase::relaying || phase_ == Phase::to_client;
    bool to_upstream = phase_ != Phase::to_client && phase_ != Phase::done;
    if (to_client && client_.queued() > 0 && client_.flush() == Endpoint::Io::error) {
        finish("client-write-error detail=" + EventLog::quote(client_.last_error()), false);
        return false;
    }
    if (to_upstream && upstream_.queued() > 0 && upstream_.flush() == Endpoint::Io::error) {
        finish("upstream-write-error detail=" + EventLog::quote(upstream_.last_error()), false);
        return false;
    }
    return true;
}

bool Connection::check_done(Clock::time_point now) {
    bool overdue = now >= phase_deadline_;
    switch (phase_) {
    case Phase::to_upstream:
        if ((c2s_.empty() && upstream_.queued() == 0) || overdue) finish(reason_, true);
        break;
    case Phase::to_client:
        if ((s2c_.empty() && client_.queued() == 0) || overdue) finish(reason_, true);
        break;
    case Phase::dropping:
        if (upstream_.queued() == 0 || overdue) finish(reason_, false);
        break;
    default:
        break;
    }
    return phase_ == Phase::done;
}

std::uint64_t Connection::up_budget() const { return std::min(drop_at_, stall_at_) - relayed_up_; }

std::size_t Connection::backlog_up() const { return c2s_bytes_ + upstream_.queued() + filter_.held_bytes(); }
std::size_t Connection::backlog_down() const { return s2c_bytes_ + client_.queued(); }

int Connection::poll_timeout(Clock::time_point now, bool reading) const {
    if (reading) return 0;  // OpenSSL holds decrypted bytes that poll cannot see
    Clock::time_point wake = now + kTick;
    if ((phase_ == Phase::relaying || phase_ == Phase::to_upstream) && !c2s_.empty())
        wake = std::min(wake, c2s_.front().at);
    if ((phase_ == Phase::relaying || phase_ == Phase::to_client) && !s2c_.empty())
        wake = std::min(wake, s2c_.front().at);
    if (phase_ == Phase::to_upstream || phase_ == Phase::to_client || phase_ == Phase::dropping)
        wake = std::min(wake, phase_deadline_);
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
    return static_cast<int>(std::max<long long>(ms, 0));
}

void Connection::poll_once(Clock::time_point now) {
    bool relaying = phase_ == Phase::relaying;
    bool want_client = relaying && backlog_up() < kMaxBacklog;
    bool want_upstream = relaying && backlog_down() < kMaxBacklog;
    bool client_polled = client_.is_open() && (relaying || phase_ == Phase::to_client || phase_ == Phase::stalled);
    bool upstream_polled = upstream_.is_open() && phase_ != Phase::to_client;
    pollfd fds[3] = {{ctx_.stop_fd, POLLIN, 0}, {-1, 0, 0}, {-1, 0, 0}};
    if (client_polled) {
        fds[1].fd = client_.fd();
        // Stalled: read nothing, only notice the client giving up.
        fds[1].events = phase_ == Phase::stalled ? POLLRDHUP : client_.poll_events(want_client);
    }
    if (upstream_polled) {
        fds[2].fd = upstream_.fd();
        fds[2].events = upstream_.poll_events(want_upstream);
    }
    bool buffered = (want_client && client_.has_buffered_input()) || (want_upstream && upstream_.has_buffered_input());
    if (::poll(fds, 3, poll_timeout(now, buffered)) < 0) return;  // EINTR: go round again
    if (fds[0].revents != 0) return finish("stop", false);
    now = Clock::now();
    const short gone = POLLHUP | POLLERR | POLLRDHUP;
    if (client_polled && (fds[1].revents & gone) && !(fds[1].events & POLLIN))
        return finish(phase_ == Phase::stalled ? "client-left-stall" : "client-gone", false);
    if (upstream_polled && (fds[2].revents & (POLLHUP | POLLERR)) && !(fds[2].events & POLLIN)) {
        if (phase_ != Phase::stalled && phase_ != Phase::relaying) return finish("upstream-gone", false);
        if (phase_ == Phase::stalled) {
            ctx_.log.write(id_, "upstream-closed-in-stall");
            upstream_.close(false);
        }
    }
    if (want_client) read_client(now);
    if (want_upstream && phase_ == Phase::relaying) read_upstream(now);
}

void Connection::read_client(Clock::time_point now) {
    std::string data;
    Endpoint::Io r = client_.read_some(data, kReadChunk);
    if (!data.empty()) {
        c2s_bytes_ += data.size();
        auto at = now + latency_;
        if (!c2s_.empty() && c2s_.back().at == at)
            c2s_.back().bytes += data;
        else
            c2s_.push_back({at, std::move(data)});
    }
    if (r == Endpoint::Io::eof) enter(Phase::to_upstream, "client-eof");
    if (r == Endpoint::Io::error) finish("client-read-error detail=" + EventLog::quote(client_.last_error()), false);
}

void Connection::read_upstream(Clock::time_point now) {
    std::string data;
    Endpoint::Io r = upstream_.read_some(data, kReadChunk);
    ImapFilter::Out out;
    if (!data.empty()) filter_.from_server(data, out, up_budget());
    if (r == Endpoint::Io::eof || r == Endpoint::Io::error) filter_.server_closed(out);
    take_filter_output(out, now);
    if (r == Endpoint::Io::eof) enter(Phase::to_client, "upstream-eof");
    if (r == Endpoint::Io::error) enter(Phase::to_client, "upstream-read-error detail=" + EventLog::quote(upstream_.last_error()));
}

void Connection::enter(Phase phase, std::string reason) {
    if (phase_ == Phase::done) return;
    phase_ = phase;
    reason_ = std::move(reason);
    phase_deadline_ = Clock::now() + (phase == Phase::dropping ? std::chrono::seconds(1) : kDrainTimeout + 2 * latency_);
}

void Connection::finish(const std::string& reason, bool graceful) {
    if (phase_ == Phase::done) return;
    ctx_.log.write(id_, "close", "reason=" + reason + " up=" + std::to_string(relayed_up_) +
                                     " down=" + std::to_string(relayed_down_));
    client_.close(graceful);
    upstream_.close(graceful);
    phase_ = Phase::done;
}

}  // namespace mailferry::test::fault_proxy
