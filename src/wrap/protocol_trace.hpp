// --debug: a protocol trace on standard error, the first thing anyone asks
// for when a server misbehaves. Each connection's commands and responses, one
// line each, "C:" for ours and "S:" for the server's, numbered per connection:
//   mailferry: trace [2] C: mf3 APPEND "INBOX" (\Seen) "01-Jan-2024 12:00:00 +0000" {2048+}
//   mailferry: trace [2] C:     <literal: 2048 bytes>
// Never in it: message contents (an IMAP literal is shown by its size, a POP3
// RETR or TOP answer by its byte count), passwords and tokens (LOGIN, PASS,
// AUTH and AUTHENTICATE arguments, every line of a SASL exchange, and whatever
// the session marks private become ***).
//
// It reads libetpan's session logger, fed by the outermost layer only (our
// stream guard), so that it shows what the protocol sees: after TLS, after
// inflation, once.
#pragma once

#include <memory>
#include <string>

struct _mailstream;
struct _mailstream_low;

namespace mailferry::wrap {

// Set once by the command line, before any connection opens.
void enable_protocol_trace(bool on);
bool protocol_trace_enabled();

struct ProtocolTrace;
struct ProtocolTraceFree {
    void operator()(ProtocolTrace* t) const;
};
// A new connection's trace, numbered; nullptr when the trace is off. The
// session hands it to libetpan's logger (mailimap_set_logger,
// mailpop3_set_logger) before it connects: libetpan installs its own stream
// logger when it connects, which calls the session's.
std::unique_ptr<ProtocolTrace, ProtocolTraceFree> open_protocol_trace();
// What such a logger passes on: its log type, the bytes. trace may be nullptr.
void protocol_trace_log(void* trace, int log_type, const char* str, size_t size);

// A layer went on top of `beneath` (the stream guard, COMPRESS): only the
// outermost layer may log, or the trace would show the bytes twice, or
// encrypted or compressed ones, or private ones without their privacy.
void silence_layer(_mailstream_low* beneath);

// What the trace shows of one line of ours (exposed for tests): LOGIN, PASS,
// AUTH and AUTHENTICATE keep their command and mechanism only.
// in_sasl: a SASL exchange is under way (set by AUTH/AUTHENTICATE; every line
// of ours is hidden until the server's next line that is no continuation).
struct TraceRedaction {
    bool in_sasl = false;
};
std::string redact_client_line(const std::string& line, TraceRedaction& state);

}  // namespace mailferry::wrap
