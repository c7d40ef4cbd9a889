// ImapSession::idle: RFC 2177, written on our own line reader (send_line,
// read_line) because the wait must also end on a local event (a signal to
// stop, through wake_fd), which libetpan's mailimap_idle cannot wait for.
#include <libetpan/libetpan.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "core/ascii.hpp"
#include "wrap/imap_session.hpp"
#include "wrap/stream_guard.hpp"

namespace mailferry::wrap {
namespace {

using IdleEnd = ImapSession::IdleEnd;
using Clock = std::chrono::steady_clock;

// "* 12 EXISTS", "* 3 EXPUNGE", "* 4 FETCH (FLAGS ...)", "* 1 RECENT": the
// folder changed. "* OK Still here" and the like are keep-alives.
bool reports_change(std::string_view line) {
    if (line.size() < 4 || line.compare(0, 2, "* ") != 0 || line[2] < '0' || line[2] > '9') return false;
    size_t word = line.find(' ', 2);
    if (word == std::string_view::npos) return false;
    std::string_view rest = line.substr(word + 1);
    rest = rest.substr(0, rest.find(' '));
    for (const char* w : {"EXISTS", "EXPUNGE", "RECENT", "FETCH"})
        if (ascii::iequals(rest, w)) return true;
    return false;
}

bool is_bye(std::string_view line) { return ascii::istarts_with(line, "* BYE"); }

bool is_tagged(std::string_view line, const std::string& tag) {
    return line.size() > tag.size() && line.compare(0, tag.size(), tag) == 0 && line[tag.size()] == ' ';
}

// Waits for the server's next line, the deadline or wake_fd. Bytes already in
// the stream's buffer count as a line to read: poll() would not see them.
Result<IdleEnd> wait_for_line(ImapSession& session, Clock::time_point deadline, int wake_fd) {
    mailstream* s = session.stream();
    if (!s) return session.stream_error("cannot wait in IDLE");
    if (s->read_buffer_len > 0) return IdleEnd::changed;  // "a line is there": the caller reads it
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return IdleEnd::timed_out;
        pollfd fds[2] = {{mailstream_low_get_fd(mailstream_get_low(s)), POLLIN, 0}, {wake_fd, POLLIN, 0}};
        int n = ::poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(std::min<long long>(left, 60'000)));
        if (n < 0 && errno == EINTR) continue;  // a signal: its handler wrote to wake_fd if it matters
        if (n < 0) return make_error(ErrorKind::internal, Radius::account, std::string("poll: ") + std::strerror(errno));
        if (wake_fd >= 0 && fds[1].revents) return IdleEnd::woken;
        if (n > 0) return IdleEnd::changed;
    }
}

// Reads the lines the server sends while idling until one reports a change.
Result<IdleEnd> idle_until_change(ImapSession& session, std::chrono::milliseconds max_wait, int wake_fd) {
    const auto deadline = Clock::now() + max_wait;
    for (;;) {
        auto waited = wait_for_line(session, deadline, wake_fd);
        if (!waited || *waited != IdleEnd::changed) return waited;
        // A new reply as far as the guard is concerned: minutes of silence were no trickle.
        if (StreamGuard* g = stream_guard_of(session.stream())) g->rearm();
        auto line = session.read_line();
        if (!line) return line.error();
        if (is_bye(*line))
            return make_error(ErrorKind::temporary, Radius::account, "the server ended the connection: " + *line);
        if (reports_change(*line)) return IdleEnd::changed;
    }
}

}  // namespace

Result<ImapSession::IdleEnd> ImapSession::idle(std::chrono::milliseconds max_wait, int wake_fd) {
    const std::string tag = next_tag();
    MF_TRY(send_line(tag + " IDLE"));
    bool changed = false;
    for (;;) {  // untagged lines may come before the continuation
        auto line = read_line();
        if (!line) return line.error();
        if (!line->empty() && (*line)[0] == '+') break;
        if (is_tagged(*line, tag))
            return make_error(ErrorKind::protocol, Radius::folder, "the server refused IDLE: " + *line);
        changed = changed || reports_change(*line);
    }
    IdleEnd end = IdleEnd::changed;
    if (!changed) {
        auto waited = idle_until_change(*this, max_wait, wake_fd);
        if (!waited) return waited.error();
        end = *waited;
    }
    MF_TRY(send_line("DONE"));
    for (;;) {  // what comes before the tagged reply is seen by the next look at the folder
        auto line = read_line();
        if (!line) return line.error();
        if (!is_tagged(*line, tag)) continue;
        if (line->compare(tag.size() + 1, 2, "OK") != 0)
            return make_error(ErrorKind::protocol, Radius::folder, "IDLE ended with: " + *line);
        return end;
    }
}

}  // namespace mailferry::wrap
