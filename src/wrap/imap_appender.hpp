// Pipelined APPEND over an open libetpan session (RFC 3501 §6.3.11, RFC 7888).
//
// libetpan's mailimap_append waits two round trips per message
// (docs/dependencies.md). Where the server has LITERAL+ this class keeps a window
// of APPENDs in flight: each command goes out with a non-synchronizing literal
// ({N+}) without waiting, and each tagged reply is matched to its message by
// tag. Without LITERAL+ it falls back to one synchronizing APPEND at a time.
//
// It writes to and reads from the session's stream directly, with tags of its
// own ("mf1", "mf2", ...) that cannot collide with libetpan's numeric ones;
// between two calls the stream is left at a command boundary, so the session
// can be used for other commands again once drain() returned.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mailferry/result.hpp"
#include "wrap/imap_session.hpp"

namespace mailferry::wrap {

struct AppendCommand {
    uint64_t token = 0;        // the caller's handle, returned with the reply
    std::string mailbox;       // modified UTF-7, unquoted
    std::string flags;         // "\\Seen \\Answered", may be empty
    int64_t internaldate = 0;  // epoch seconds, sent as UTC
    std::string literal;       // the message as it goes on the wire (CRLF, no NUL)
};

struct AppendReply {
    uint64_t token = 0;
    std::string status;  // OK, NO, BAD
    std::string text;    // the rest of the tagged line
    uint32_t uidvalidity = 0, uid = 0;  // from [APPENDUID v u], 0 if absent
};

using ReplyHandler = std::function<void(const AppendReply&)>;

class ImapAppender {
public:
    ImapAppender(ImapSession& session, bool literal_plus, size_t window_messages, uint64_t window_bytes);

    // Sends one APPEND; when the window is full, first reads replies (each
    // passed to on_reply) until there is room. An error of radius message
    // (invalid_data) means this command could not be written safely and was
    // not sent: the connection is fine. Any other error means the connection
    // is unusable (lost, BYE, a tagged BAD: out of step with the server);
    // outstanding() then lists the tokens whose fate is unknown, and every
    // later call fails: the caller reconnects and looks in the target.
    Status submit(AppendCommand command, const ReplyHandler& on_reply);
    // Reads replies until none is outstanding.
    Status drain(const ReplyHandler& on_reply);
    std::vector<uint64_t> outstanding() const;
    // The text of the last untagged BYE, if the server said goodbye.
    const std::string& bye_text() const { return bye_; }

private:
    struct InFlight {
        std::string tag;
        uint64_t token;
        uint64_t bytes;
    };
    Status send_all(std::string_view data);
    Status read_one_reply(const ReplyHandler& on_reply);
    Status send_synchronizing(const AppendCommand& c, const std::string& head, const ReplyHandler& on_reply);
    Result<std::string> read_line();
    void salvage_replies(const ReplyHandler& on_reply);
    Status out_of_step(std::string why);

    ImapSession& session_;
    bool literal_plus_;
    size_t window_messages_;
    uint64_t window_bytes_;
    std::deque<InFlight> in_flight_;
    uint64_t bytes_in_flight_ = 0;
    uint64_t next_tag_ = 1;
    std::string bye_;
    std::optional<Error> broken_;  // set once the connection is out of step
};

// The APPEND command up to its literal ("mf1 APPEND "box" (\\Seen) "date" "),
// or an invalid_data error of radius message when a part of it would not be
// one IMAP token: a mailbox name with a control, 8-bit or no character, a
// flag that is neither a system flag nor an atom (flags.hpp), a date outside
// the years IMAP can write. Nothing taken from a message reaches the command
// line unchecked: a ')' in a keyword would end the flag list and, with
// LITERAL+, make the server read the message body as commands.
Result<std::string> append_head(std::string_view tag, const AppendCommand& command);

// "\"" + quoted + "\"" with '\\' and '"' escaped, as an IMAP quoted string.
std::string imap_quote(std::string_view s);
// "01-Jan-2024 12:00:00 +0000"; an error for a time outside 0001-9999.
Result<std::string> imap_date_time(int64_t epoch_seconds);
// Parses "[APPENDUID 38505 3955]" in a tagged OK text.
bool parse_appenduid(std::string_view text, uint32_t& uidvalidity, uint32_t& uid);

}  // namespace mailferry::wrap
