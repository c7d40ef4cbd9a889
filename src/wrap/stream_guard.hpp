// A libetpan stream layer that bounds what a server can make us read (issue
// 13, item 3), below every reader of the connection: libetpan's own parser
// (which reads a line until its end, however long, and preallocates a literal
// at the size announced) and ours (IMAP FETCH, POP3).
//
// Each request we write starts a new reply: from then on the reply may bring
// at most max_bytes, no line longer than max_line outside the literals a reader
// announced, and it must arrive at min_rate bytes a second on average after
// grace_seconds, so a server trickling a byte a second is cut off where the
// per-read timeout never fires. Readers of one response at a time (a message)
// re-arm the guard for each. A read returning 0 is the end of the connection
// and is reported as an error: libetpan's literal loop takes 0 as "no data yet"
// and would spin for ever after a server's clean TLS close.
//
// Once a limit is crossed the guard fails every later read and write: the
// connection is out of step and only good for closing. report() says why.
//
// Header only: the driver's callbacks are a few lines each.
#pragma once

#include <libetpan/libetpan.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "mailferry/result.hpp"
#include "wrap/protocol_trace.hpp"

namespace mailferry::wrap {

struct StreamLimits {
    uint64_t max_line = 16ull << 20;   // no honest IMAP or POP3 line comes near
    uint64_t max_bytes = 64ull << 20;  // one reply (a LIST of 100,000 folders is ~10 MB)
    int grace_seconds = 600;
    uint64_t min_rate = 4096;          // bytes a second: slower than any link a migration runs on
};

enum class GuardStop { none, line_too_long, too_many_bytes, too_slow, closed, abandoned };

struct GuardReport {
    GuardStop stop = GuardStop::none;
    uint64_t bytes = 0;   // of the reply, when it stopped
    int64_t seconds = 0;  // the reply had been arriving this long
};

class StreamGuard {
public:
    using Clock = std::chrono::steady_clock;

    StreamGuard(mailstream_low* inner, const StreamLimits& limits) : inner_(inner), limits_(limits) { rearm(); }
    mailstream_low* inner() const { return inner_; }
    const StreamLimits& limits() const { return limits_; }
    void set_limits(const StreamLimits& limits) { limits_ = limits; }

    // A new reply begins: its clock and its byte count start again.
    void rearm() {
        start_ = Clock::now();
        bytes_ = 0;
    }
    // The next n bytes are a literal a reader announced: not a line, whatever they hold.
    void expect_literal(uint64_t n) { literal_left_ = n; }
    void stop(GuardStop why) {
        if (report_.stop == GuardStop::none) report_ = {why, bytes_, seconds()};
    }
    bool stopped() const { return report_.stop != GuardStop::none; }
    const GuardReport& report() const { return report_; }

    ssize_t read(mailstream_low* outer, void* buf, size_t count) {
        if (stopped()) return -1;
        sync_timeout(outer);
        // The driver itself, not mailstream_low_read(): that one would log the bytes a second time.
        ssize_t n = inner_->driver->mailstream_read(inner_, buf, count);
        if (n == 0) stop(GuardStop::closed);
        // A wait cut short by the reply's deadline (sync_timeout) after some of it came: a trickle.
        // Silence from the start stays what it was, a lost connection.
        if (n < 0 && bytes_ > 0 && elapsed() > allowed_seconds()) stop(GuardStop::too_slow);
        if (n <= 0) return -1;
        bytes_ += static_cast<uint64_t>(n);
        if (!account(static_cast<const char*>(buf), static_cast<size_t>(n))) return -1;
        return n;
    }

    ssize_t write(mailstream_low* outer, const void* buf, size_t count) {
        if (stopped()) return -1;
        sync_timeout(outer);
        rearm();
        return inner_->driver->mailstream_write(inner_, buf, count);
    }

private:
    double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
    int64_t seconds() const { return static_cast<int64_t>(elapsed()); }

    // libetpan sets its timeout on the stream's current low, which is ours. The
    // wait for the next bytes never outlasts what is left of the reply's time.
    void sync_timeout(mailstream_low* outer) {
        double left = allowed_seconds() - elapsed();
        unsigned long wanted = mailstream_low_get_timeout(outer);
        auto cap = static_cast<unsigned long>(std::max(1.0, left + 1));
        mailstream_low_set_timeout(inner_, wanted == 0 ? cap : std::min(wanted, cap));
    }

    double allowed_seconds() const {
        return limits_.grace_seconds + static_cast<double>(bytes_) / static_cast<double>(limits_.min_rate);
    }

    bool account(const char* p, size_t n) {
        if (bytes_ > limits_.max_bytes) {
            stop(GuardStop::too_many_bytes);
            return false;
        }
        while (n > 0) {
            if (literal_left_ > 0) {
                size_t take = static_cast<size_t>(std::min<uint64_t>(literal_left_, n));
                literal_left_ -= take;
                p += take;
                n -= take;
                continue;
            }
            auto lf = static_cast<const char*>(std::memchr(p, '\n', n));
            size_t seg = lf ? static_cast<size_t>(lf - p) + 1 : n;
            line_ += seg;
            if (line_ > limits_.max_line) {
                stop(GuardStop::line_too_long);
                return false;
            }
            if (lf) line_ = 0;
            p += seg;
            n -= seg;
        }
        if (elapsed() > allowed_seconds()) {
            stop(GuardStop::too_slow);
            return false;
        }
        return true;
    }

    mailstream_low* inner_;  // freed with the guard (guard_free)
    StreamLimits limits_;
    Clock::time_point start_;
    uint64_t bytes_ = 0;
    uint64_t line_ = 0;
    uint64_t literal_left_ = 0;
    GuardReport report_;
};

namespace guard_detail {

inline StreamGuard* of(mailstream_low* s) { return static_cast<StreamGuard*>(s->data); }

inline ssize_t read(mailstream_low* s, void* buf, size_t count) { return of(s)->read(s, buf, count); }
inline ssize_t write(mailstream_low* s, const void* buf, size_t count) { return of(s)->write(s, buf, count); }
inline int close(mailstream_low* s) { return mailstream_low_close(of(s)->inner()); }
inline int get_fd(mailstream_low* s) { return mailstream_low_get_fd(of(s)->inner()); }
inline void cancel(mailstream_low* s) { mailstream_low_cancel(of(s)->inner()); }
inline struct mailstream_cancel* get_cancel(mailstream_low* s) { return mailstream_low_get_cancel(of(s)->inner()); }
inline carray* certificates(mailstream_low* s) { return mailstream_low_get_certificate_chain(of(s)->inner()); }
inline int setup_idle(mailstream_low* s) { return mailstream_low_setup_idle(of(s)->inner()); }
inline int unsetup_idle(mailstream_low* s) { return mailstream_low_unsetup_idle(of(s)->inner()); }
inline int interrupt_idle(mailstream_low* s) { return mailstream_low_interrupt_idle(of(s)->inner()); }

// mailstream_low_free() has freed the identifier; the rest is ours, the struct
// included (malloc'd by mailstream_low_new), as with every libetpan driver.
inline void free_layer(mailstream_low* s) {
    std::unique_ptr<StreamGuard> guard(of(s));
    mailstream_low_free(guard->inner());
    s->data = nullptr;
    std::free(s);
}

inline mailstream_low_driver driver = {read, write, close, get_fd, free_layer, cancel, get_cancel,
                                       certificates, setup_idle, unsetup_idle, interrupt_idle};

}  // namespace guard_detail

// The guard that is the stream's outermost layer, or nullptr.
inline StreamGuard* stream_guard_of(mailstream* stream) {
    mailstream_low* low = stream ? mailstream_get_low(stream) : nullptr;
    return low && low->driver == &guard_detail::driver ? guard_detail::of(low) : nullptr;
}

// Wraps the stream's current low driver (TLS, plain or COMPRESS) in a guard,
// unless it is one already; nullptr when out of memory (the stream unchanged).
inline StreamGuard* install_stream_guard(mailstream* stream, const StreamLimits& limits) {
    if (!stream) return nullptr;
    if (StreamGuard* g = stream_guard_of(stream)) return g;
    mailstream_low* inner = mailstream_get_low(stream);
    std::unique_ptr<StreamGuard> guard(new (std::nothrow) StreamGuard(inner, limits));
    if (!guard) return nullptr;
    mailstream_low* outer = mailstream_low_new(guard.get(), &guard_detail::driver);
    if (!outer) return nullptr;
    mailstream_low_set_timeout(outer, mailstream_low_get_timeout(inner));
    mailstream_set_low(stream, outer);
    // The guard is always the outermost layer: the --debug trace reads there, once.
    silence_layer(inner);
    return guard.release();
}

// Takes the guard off again, leaving the driver it wrapped in place: COMPRESS
// goes below it, so that the limits count the bytes after inflation.
inline void remove_stream_guard(mailstream* stream) {
    StreamGuard* guard = stream_guard_of(stream);
    if (!guard) return;
    mailstream_low* outer = mailstream_get_low(stream);
    mailstream_set_low(stream, guard->inner());
    delete guard;
    outer->data = nullptr;
    std::free(outer->identifier);
    std::free(outer);
}

// Why the guard stopped a reply, in words for one error line.
inline std::string describe_stop(const GuardReport& r, const StreamLimits& l) {
    switch (r.stop) {
    case GuardStop::line_too_long:
        return "the server sent a line longer than " + std::to_string(l.max_line >> 20) + " MB";
    case GuardStop::too_many_bytes:
        return "the server sent more than " + std::to_string(l.max_bytes >> 20) + " MB in one reply";
    case GuardStop::too_slow:
        return "the server sent " + std::to_string(r.bytes) + " bytes in " + std::to_string(r.seconds) +
               " s: too slow (a reply has " + std::to_string(l.grace_seconds) + " s, then must average " +
               std::to_string(l.min_rate >> 10) + " KB/s)";
    case GuardStop::closed: return "the server closed the connection";
    case GuardStop::abandoned: return "a reply was left half read";
    case GuardStop::none: break;
    }
    return "the connection was lost";
}

inline ErrorKind stop_kind(GuardStop stop) {
    switch (stop) {
    case GuardStop::line_too_long: return ErrorKind::protocol;
    case GuardStop::too_many_bytes: return ErrorKind::too_big;
    default: return ErrorKind::temporary;
    }
}

// The error for a failed read or write on a guarded stream (IMAP and POP3
// alike): why the guard stopped it, or a lost connection.
inline Error guard_error(mailstream* stream, const std::string& what) {
    StreamGuard* g = stream_guard_of(stream);
    GuardReport r = g ? g->report() : GuardReport{};
    Error e = make_error(stop_kind(r.stop), Radius::account,
                         what + ": " + describe_stop(r, g ? g->limits() : StreamLimits{}));
    if (e.kind == ErrorKind::temporary) e.retry = Retry::later;
    return e;
}

}  // namespace mailferry::wrap
