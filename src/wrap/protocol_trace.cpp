#include "wrap/protocol_trace.hpp"

#include <libetpan/libetpan.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/ascii.hpp"

namespace mailferry::wrap {
namespace {

std::atomic<bool> g_enabled{false};

constexpr size_t kShownLine = 2000;  // longer lines are cut, with their length said

// One direction of one connection, read as lines with literals skipped.
struct Direction {
    std::string line;        // the line so far (at most kShownLine bytes kept)
    uint64_t line_bytes = 0; // its real length
    uint64_t literal_left = 0;
    uint64_t literal_size = 0;
};

}  // namespace

// One connection's trace: its number and what is being parsed in each direction.
struct ProtocolTrace {
    unsigned number = 0;
    Direction ours, theirs;
    TraceRedaction redaction;
    // A RETR or TOP was sent: the next "+OK" opens a message, up to a line ".".
    bool expect_message = false;
    bool in_message = false;
    uint64_t message_bytes = 0;
};

namespace {

std::mutex g_mutex;  // stderr, and the numbers
unsigned g_next_number = 0;

std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

void emit(const ProtocolTrace& c, const char* who, const std::string& text) {
    std::string out = "mailferry: trace [" + std::to_string(c.number) + "] " + who + ": " + text + "\n";
    ssize_t ignored = ::write(STDERR_FILENO, out.data(), out.size());
    (void)ignored;
}

// "{123}" or "{123+}" at the end of a line: the size of the literal that follows.
bool literal_at_end(const std::string& line, uint64_t& size) {
    if (line.empty() || line.back() != '}') return false;
    size_t open = line.rfind('{');
    if (open == std::string::npos) return false;
    std::string digits = line.substr(open + 1, line.size() - open - 2);
    if (!digits.empty() && digits.back() == '+') digits.pop_back();
    if (digits.empty() || digits.size() > 12) return false;
    uint64_t n = 0;
    for (char d : digits) {
        if (d < '0' || d > '9') return false;
        n = n * 10 + static_cast<uint64_t>(d - '0');
    }
    size = n;
    return true;
}

std::string first_word(const std::string& line, size_t from = 0) {
    size_t end = line.find(' ', from);
    return line.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

void client_line(ProtocolTrace& c, const std::string& line, uint64_t bytes) {
    std::string shown = redact_client_line(line, c.redaction);
    std::string verb = ascii::upper(first_word(line));
    if (verb == "RETR" || verb == "TOP") c.expect_message = true;
    if (bytes > line.size()) shown += " ... (" + std::to_string(bytes) + " bytes)";
    emit(c, "C", shown);
}

void server_line(ProtocolTrace& c, const std::string& line, uint64_t bytes) {
    if (c.in_message) {
        if (line == ".") {
            c.in_message = false;
            emit(c, "S", "    <message: " + std::to_string(c.message_bytes) + " bytes>");
            emit(c, "S", ".");
        } else {
            c.message_bytes += bytes + 2;
        }
        return;
    }
    // A SASL exchange ends with the server's first line that is no continuation.
    if (c.redaction.in_sasl && !(line == "+" || line.rfind("+ ", 0) == 0)) c.redaction.in_sasl = false;
    std::string shown = printable(line);
    if (bytes > line.size()) shown += " ... (" + std::to_string(bytes) + " bytes)";
    emit(c, "S", shown);
    if (c.expect_message) {
        c.expect_message = false;
        if (line.rfind("+OK", 0) == 0) {
            c.in_message = true;
            c.message_bytes = 0;
        }
    }
}

// Feeds bytes of one direction: complete lines are shown, literals counted.
void feed(ProtocolTrace& c, Direction& d, bool ours, const char* data, size_t size) {
    size_t i = 0;
    while (i < size) {
        if (d.literal_left) {
            size_t take = static_cast<size_t>(std::min<uint64_t>(d.literal_left, size - i));
            d.literal_left -= take;
            i += take;
            if (!d.literal_left) emit(c, ours ? "C" : "S", "    <literal: " + std::to_string(d.literal_size) + " bytes>");
            continue;
        }
        char ch = data[i++];
        if (ch == '\n') {
            if (!d.line.empty() && d.line.back() == '\r') d.line.pop_back();
            uint64_t bytes = d.line_bytes ? d.line_bytes - 1 : 0;
            bytes = std::max<uint64_t>(bytes, d.line.size());
            uint64_t literal = 0;
            bool has_literal = !c.in_message && literal_at_end(d.line, literal);
            ours ? client_line(c, d.line, bytes) : server_line(c, d.line, bytes);
            if (has_literal && literal) {
                d.literal_left = d.literal_size = literal;
            }
            d.line.clear();
            d.line_bytes = 0;
            continue;
        }
        ++d.line_bytes;
        if (d.line.size() < kShownLine) d.line += ch;
    }
}

}  // namespace

void enable_protocol_trace(bool on) { g_enabled = on; }
bool protocol_trace_enabled() { return g_enabled; }

std::unique_ptr<ProtocolTrace, ProtocolTraceFree> open_protocol_trace() {
    if (!g_enabled) return nullptr;
    std::unique_ptr<ProtocolTrace, ProtocolTraceFree> t(new ProtocolTrace);
    std::lock_guard<std::mutex> l(g_mutex);
    t->number = ++g_next_number;
    return t;
}

void ProtocolTraceFree::operator()(ProtocolTrace* t) const { delete t; }

void protocol_trace_log(void* trace, int log_type, const char* str, size_t size) {
    auto* c = static_cast<ProtocolTrace*>(trace);
    if (!c) return;
    std::lock_guard<std::mutex> l(g_mutex);
    switch (log_type) {
    case MAILSTREAM_LOG_TYPE_DATA_RECEIVED: feed(*c, c->theirs, false, str, size); break;
    case MAILSTREAM_LOG_TYPE_DATA_SENT: feed(*c, c->ours, true, str, size); break;
    case MAILSTREAM_LOG_TYPE_DATA_SENT_PRIVATE:
        // A secret: never parsed, never shown. What came before it on the line
        // is dropped with it (a LOGIN's tag and user name).
        c->ours.line.clear();
        c->ours.line_bytes = 0;
        (void)size;  // not even its length: that says something of a password
        emit(*c, "C", "*** (hidden)");
        break;
    default: break;  // errors and notes carry no bytes
    }
}

void silence_layer(mailstream_low* beneath) {
    if (beneath) mailstream_low_set_logger(beneath, nullptr, nullptr);
}

std::string redact_client_line(const std::string& line, TraceRedaction& state) {
    if (state.in_sasl) return "***";
    // IMAP: "<tag> <command> ..."; POP3: "<command> ...".
    std::string first = ascii::upper(first_word(line));
    size_t second_at = line.find(' ');
    std::string second = second_at == std::string::npos ? "" : ascii::upper(first_word(line, second_at + 1));
    auto keep_words = [&line](size_t words) {
        size_t at = 0;
        for (size_t w = 0; w < words; ++w) {
            at = line.find(' ', at);
            if (at == std::string::npos) return printable(line);
            ++at;
        }
        return printable(line.substr(0, at)) + "***";
    };
    if (first == "PASS") return keep_words(1);
    if (first == "AUTH") {
        state.in_sasl = true;
        return keep_words(2);
    }
    if (second == "LOGIN") return keep_words(2);
    if (second == "AUTHENTICATE") {
        state.in_sasl = true;
        return keep_words(3);
    }
    return printable(line);
}

}  // namespace mailferry::wrap
