// Splits one direction of an IMAP byte stream into messages (a client command
// or a server response): lines ending in LF (normally CRLF), where a line
// ending in "{N}" (synchronizing), "{N+}" (LITERAL+) or "~{N}" (literal8) is
// followed by N bytes of literal data and then more of the same message.
//
// Streaming: nothing but the last few bytes of the current line and the first
// kHeadSize bytes of the message are kept, so lines and literals of any size
// pass through in bounded memory.  Literal counts above 12 digits are not
// taken as literals (a hard limit; the bytes are still relayed).
// Not thread-safe; one framer per direction of a connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailferry::test::fault_proxy {

class ImapFramer {
public:
    static constexpr std::size_t kHeadSize = 256;

    struct Literal {
        std::uint64_t size = 0;
        bool sync = false;  // "{N}": the client must wait for "+" before sending it
    };
    struct Event {
        bool line_end = false;     // a line ended at the last consumed byte
        bool message_end = false;  // ... and it had no literal: the message is complete
        std::optional<Literal> literal;  // ... and announced this literal
    };

    // Consumes bytes up to and including the next line end (then `ev` says what
    // ended), or all of `data` when no line ends in it.  Consumes nothing while
    // a literal is pending (see below).
    std::size_t feed(std::string_view data, Event& ev);

    // After a line announcing a literal, the owner says whether the literal
    // bytes follow (accept: always for LITERAL+ and server literals; for a
    // synchronizing one once "+" was sent) or will never come (reject: the
    // server answered the command instead; the message ends there).
    void accept_literal();
    void reject_literal();

    bool literal_pending() const { return state_ == State::pending; }
    // Nothing of the next message consumed yet.
    bool at_message_start() const { return state_ == State::line && !in_message_; }
    // The first bytes (up to kHeadSize) of the current or last message's first line.
    const std::string& head() const { return head_; }

private:
    enum class State { line, literal, pending };

    void note_line_bytes(std::string_view bytes);

    State state_ = State::line;
    bool in_message_ = false;
    bool in_first_line_ = false;
    std::uint64_t literal_left_ = 0;
    std::string tail_;  // the last bytes of the current line (for "{N}")
    std::string head_;
};

// The parts of a message's first line that the proxy acts on.
struct MessageHead {
    std::string tag;   // first token; "*" and "+" for server untagged/continuations
    std::string name;  // second token upper-cased, "UID FETCH" style for UID commands
};
MessageHead parse_head(std::string_view head);

}  // namespace mailferry::test::fault_proxy
