// The few header fields the index keeps for each message, read from the raw
// bytes without a MIME library: fast, and safe on any input (hard limits, no
// exceptions). Values are unfolded but not decoded (RFC 2047 decoding belongs
// to the full-text index).
#pragma once

#include <string>
#include <string_view>

namespace mailferry::mime {

struct HeaderFields {
    std::string message_id, date, from, to, subject;
};

// Reads the header section (up to the first empty line, at most 256 KiB) and
// takes the first occurrence of each field, cut to 1,000 bytes. NUL bytes and
// bare CR are tolerated.
HeaderFields read_header_fields(std::string_view message);

}  // namespace mailferry::mime
