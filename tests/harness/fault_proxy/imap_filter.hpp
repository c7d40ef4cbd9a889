// The IMAP-aware part of one proxied connection, free of I/O so it can be
// unit-tested: it frames the client stream into commands, forwards them or
// swallows the ones a --rule picks, and places the proxy's own replies into
// the server stream at response boundaries, after the server has answered
// every command the client sent before the swallowed one (so a pipelining
// client sees replies in the order a real server would give them).
//
// Tracking the server stream also tells it, for a forwarded command with a
// synchronizing literal, whether the server sent "+" (the literal follows) or
// a tagged reply (it never will); client bytes are held until then.
// In an AUTHENTICATE exchange, a client line that answers a server "+" is SASL
// data: passed untouched, never parsed or logged.  After a successful
// STARTTLS or COMPRESS the connection becomes an opaque pass-through.  While
// rules are configured, COMPRESS is refused (NO) so rules keep working.
//
// Not thread-safe: one per connection, used by that connection's thread.
#pragma once

#include "event_log.hpp"
#include "imap_framer.hpp"
#include "options.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>
#include <string_view>

namespace mailferry::test::fault_proxy {

class ImapFilter {
public:
    using Clock = std::chrono::steady_clock;
    struct Out {
        std::string up;    // toward the server
        std::string down;  // toward the client
    };

    ImapFilter(RuleSet& rules, const EventLog& log, int conn, bool close_after_greeting);
    // --strip-capability: these words vanish from every server line that lists
    // capabilities (the greeting's [CAPABILITY ...], "* CAPABILITY ...", a
    // tagged OK [CAPABILITY ...]), as a man in the middle would strip STARTTLS.
    void set_strip_capabilities(std::vector<std::string> words) { strip_ = std::move(words); }

    // up_budget: how many more bytes may go upstream (--drop/--stall-after-bytes);
    // no further client command is framed (or logged) once `out.up` holds that many.
    static constexpr std::uint64_t kUnlimited = ~std::uint64_t{0};

    // Client bytes (after the client->server delay).
    void from_client(std::string_view data, Out& out, std::uint64_t up_budget = kUnlimited);
    // Server bytes, as read.
    void from_server(std::string_view data, Out& out, std::uint64_t up_budget = kUnlimited);
    // The server closed: replies still waiting for it are sent now.
    void server_closed(Out& out);
    // Gives up waiting for the server's replies after kInjectTimeout.
    void tick(Clock::time_point now, Out& out);

    // A closing reply (rule with bye/close) or the greeting (--close-after-greeting)
    // has been emitted: deliver `down`, then close both sides.
    bool close_requested() const { return close_requested_; }
    std::size_t held_bytes() const { return held_.size() - held_off_; }

    static constexpr auto kInjectTimeout = std::chrono::seconds(10);

private:
    struct Pending {       // a forwarded command awaiting its tagged reply
        std::uint64_t seq;
        std::string tag;
    };
    struct Injection {     // bytes of our own for the client
        std::uint64_t seq;  // sent once every forwarded command before it is answered
        std::string bytes;
        bool close = false;
        Clock::time_point deadline;
        std::string log_event;
        std::string log_fields;
    };
    enum class Await { none, literal, passthrough };  // why client bytes are held
    struct Current {       // the client message being framed
        bool decided = false;
        bool command = false;
        bool swallow = false;
        std::string tag;
        std::string name;
        std::uint64_t seq = 0;
        RuleSet::Hit hit;
    };

    void process_client(Out& out);
    void decide(std::string_view head);
    void on_client_literal(const ImapFramer::Literal& lit);
    void end_client_message();
    void on_server_message(Out& out);
    void emit_server(std::string_view bytes, bool line_end, Out& out);
    void start_passthrough(Out& out);
    void inject(std::string bytes, bool close, std::string event, std::string fields);
    void flush_injections(Out& out, bool force);
    bool answered_before(std::uint64_t seq) const;

    RuleSet& rules_;
    const EventLog& log_;
    int conn_;
    bool close_after_greeting_;

    ImapFramer client_framer_;
    ImapFramer server_framer_;
    std::string held_;  // client bytes not framed yet
    std::size_t held_off_ = 0;
    Current cur_;
    Await await_ = Await::none;
    std::string await_tag_;
    std::string sasl_tag_;  // AUTHENTICATE in progress
    int sasl_challenges_ = 0;  // "+" lines sent by the server in it, not yet answered by the client
    std::deque<Pending> outstanding_;
    std::deque<Injection> injections_;
    std::uint64_t seq_ = 0;
    std::uint64_t up_budget_ = kUnlimited;
    bool passthrough_ = false;
    bool discard_client_ = false;
    bool discard_server_ = false;
    bool close_requested_ = false;
    std::uint64_t server_messages_ = 0;
    std::vector<std::string> strip_;
    std::string server_line_;  // with strip_: the server line being read
};

}  // namespace mailferry::test::fault_proxy
