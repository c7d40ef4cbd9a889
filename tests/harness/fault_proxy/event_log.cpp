#include "event_log.hpp"

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <time.h>

#include <fcntl.h>
#include <unistd.h>

namespace mailferry::test::fault_proxy {

EventLog::EventLog(const std::string& path) {
    if (path.empty()) return;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
}

EventLog::~EventLog() {
    if (fd_ >= 0) ::close(fd_);
}

long long EventLog::now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string EventLog::quote(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

void EventLog::write(int conn, std::string_view event, std::string_view fields) const {
    if (fd_ < 0) return;
    std::string line = std::to_string(now_ms()) + " conn=" + std::to_string(conn) + " " + std::string(event);
    if (!fields.empty()) line += " " + std::string(fields);
    line += "\n";
    // O_APPEND + one write per line: lines from different threads never interleave.
    std::size_t off = 0;
    while (off < line.size()) {
        ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a full disk must not take the proxy down
        off += static_cast<std::size_t>(n);
    }
}

}  // namespace mailferry::test::fault_proxy
