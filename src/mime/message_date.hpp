// Dates in message headers (RFC 5322 §3.3, with the obsolete forms of §4.3
// that real mail still carries), and the received date of a message that came
// without one (POP3, files): the newest Received: header's date, else Date:,
// else a fallback the caller gives.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mailferry::mime {

// "Thu, 13 Feb 1969 23:32:54 -0330", "13 Feb 69 23:32 EST", comments and
// extra spaces allowed; no zone means UTC. nullopt when it is not a date.
std::optional<int64_t> parse_rfc5322_date(std::string_view text);

struct ReceivedDate {
    int64_t when = 0;
    const char* from = "fetch";  // "received", "date" or "fetch" (cache's received_from)
};

// The topmost Received: header is the last hop, the one that delivered the
// message into the mailbox: its date (after the last ';') is when the mailbox
// received it. Reads only the header section, with the limits of header_fields.
ReceivedDate received_date(std::string_view message, int64_t fallback);

}  // namespace mailferry::mime
