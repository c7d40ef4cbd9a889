// The received date of a message that came without one (POP3): the newest
// Received: header's date, else Date:, else a fallback the caller gives. The
// dates themselves are read by core/rfc5322_date.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mailferry::mime {

struct ReceivedDate {
    int64_t when = 0;
    const char* from = "fetch";  // "received", "date" or "fetch" (cache's received_from)
};

// The topmost Received: header is the last hop, the one that delivered the
// message into the mailbox: its date (after the last ';') is when the mailbox
// received it. Reads only the header section, with the limits of header_fields.
ReceivedDate received_date(std::string_view message, int64_t fallback);

}  // namespace mailferry::mime
