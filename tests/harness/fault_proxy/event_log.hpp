// The event log tests read: one line per event,
//   "<ms> conn=<id> <event> [key=value ...]"
// where <ms> is CLOCK_MONOTONIC in milliseconds (the clock behind
// std::chrono::steady_clock on Linux, so a test can compare it with its own
// timestamps) and conn=0 is the proxy itself.  Client command arguments are
// never written (only tag and command name), so LOGIN and AUTHENTICATE
// secrets cannot reach the log.  Thread-safe; each line is one write(2).
#pragma once

#include <string>
#include <string_view>

namespace mailferry::test::fault_proxy {

class EventLog {
public:
    // path "" = no log.  Throws std::system_error if the file cannot be opened.
    explicit EventLog(const std::string& path);
    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    void write(int conn, std::string_view event, std::string_view fields = {}) const;

    static long long now_ms();
    // "text" with quotes, backslashes and control characters escaped.
    static std::string quote(std::string_view text);

private:
    int fd_ = -1;
};

}  // namespace mailferry::test::fault_proxy
