// The IMAP lines mailferry reads itself instead of through libetpan (the
// pipelined APPEND replies, AUTHENTICATE): parsed here, without a stream, so
// that the unit tests and the fuzzer (tests/fuzz) reach them directly.
// Pure functions; nothing throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailferry::wrap {

struct TaggedReply {
    std::string tag;     // "mf3"
    std::string status;  // "OK", "NO", "BAD" as sent (not checked)
    std::string text;    // the rest of the line, "" when there is none
};

// "mf3 OK [APPENDUID 38505 3955] done" -> {"mf3", "OK", "[APPENDUID 38505 3955] done"}.
// nullopt for an untagged line ("* ..."), a continuation ("+ ...") and a
// line without a space (no status: nothing to act on).
std::optional<TaggedReply> parse_tagged_reply(std::string_view line);

// The server's words in a SASL continuation ("+ eyJzdGF0dXMiOiI0MDEi..." ->
// {"status":"401",...}), for an error message: base64-decoded when it is
// base64, printable ASCII only, at most 200 bytes.
std::string sasl_challenge_text(std::string_view continuation_line);

}  // namespace mailferry::wrap
