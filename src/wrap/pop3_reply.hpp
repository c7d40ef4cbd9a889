// The POP3 answers mailferry reads itself (RFC 1939): parsed here, without a
// stream, so that the unit tests and the fuzzer (tests/fuzz) reach them
// directly. Pure functions; nothing throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailferry::wrap {

struct Pop3Listing {
    uint32_t number = 0;  // message number in this session
    uint64_t size = 0;    // as LIST says (the server's count, CRLF included)
    std::string uidl;     // "" when the server has no UIDL
};

enum class MultilineStep {
    end,        // the terminating "." line
    line,       // a line of the answer
    truncated,  // the data ended inside a line (no line ending)
};

// One raw line of a multi-line answer, line ending included, as
// mailstream_read_line returns it. For MultilineStep::line, `line` is set to
// it with the byte-stuffing removed (RFC 1939 §3) and the line ending kept.
MultilineStep multiline_step(std::string_view raw, std::string_view& line);

// A LIST line, "1 2048"; nullopt when it is not one.
std::optional<Pop3Listing> parse_list_line(std::string_view line);

// A UIDL line, "1 whqtswO00WBw418f9t5JxYwZ" (line ending allowed); nullopt
// when it is not one.
std::optional<std::pair<uint32_t, std::string>> parse_uidl_line(std::string_view line);

// Gives each listing the UIDL the server gave its number ("" when none).
void attach_uidls(std::vector<Pop3Listing>& listings, const std::vector<std::pair<uint32_t, std::string>>& uidls);

}  // namespace mailferry::wrap
