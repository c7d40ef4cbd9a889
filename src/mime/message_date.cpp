#include "mime/message_date.hpp"

#include <cctype>
#include <cstring>
#include <strings.h>
#include <string>

#include "core/rfc5322_date.hpp"

namespace mailferry::mime {
namespace {

constexpr size_t max_header_bytes = 256 * 1024;

// The value of each header field named `name` (unfolded), in order, until stop() says so.
template <typename Fn>
void for_each_field(std::string_view message, std::string_view name, Fn fn) {
    message = message.substr(0, max_header_bytes);
    size_t pos = 0;
    while (pos < message.size()) {
        size_t eol = message.find('\n', pos);
        if (eol == std::string_view::npos) eol = message.size();
        std::string_view line = message.substr(pos, eol - pos);
        if (line.empty() || line == "\r") return;  // end of the header section
        size_t next = eol + 1;
        if (line.size() > name.size() && line[name.size()] == ':' && strncasecmp(line.data(), name.data(), name.size()) == 0) {
            std::string value(line.substr(name.size() + 1));
            while (next < message.size() && (message[next] == ' ' || message[next] == '\t')) {
                size_t e = message.find('\n', next);
                if (e == std::string_view::npos) e = message.size();
                value += ' ';
                value += message.substr(next, e - next);
                next = e + 1;
            }
            if (!fn(value)) return;
        }
        pos = next;
    }
}

}  // namespace

ReceivedDate received_date(std::string_view message, int64_t fallback) {
    std::optional<int64_t> when;
    for_each_field(message, "Received", [&](const std::string& value) {
        size_t semi = value.rfind(';');
        if (semi != std::string::npos) when = mailferry::parse_rfc5322_date(std::string_view(value).substr(semi + 1));
        return false;  // only the topmost one counts
    });
    if (when) return {*when, "received"};
    for_each_field(message, "Date", [&](const std::string& value) {
        when = mailferry::parse_rfc5322_date(value);
        return false;
    });
    if (when) return {*when, "date"};
    return {fallback, "fetch"};
}

}  // namespace mailferry::mime
