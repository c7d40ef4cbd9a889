// --repair long-lines: makes a message acceptable to a server that refuses
// lines longer than a limit (Exchange: about 10,000 bytes) by re-encoding only
// the MIME parts that hold such lines (quoted-printable for text, base64 for
// anything else) and folding over-long header lines at white space. Every
// other byte stays as it was. Works on the wire form (CRLF line endings).
#pragma once

#include <string>
#include <string_view>

namespace mailferry::pipeline {

struct LongLineRepair {
    std::string bytes;
    int parts_reencoded = 0;
    int headers_folded = 0;
    std::string failure;  // why it could not be repaired ("" when it was)
};

LongLineRepair repair_long_lines(std::string_view crlf_message, size_t limit);

// Quoted-printable (RFC 2045 §6.7) with CRLF hard breaks and lines of at most 76 bytes.
std::string encode_quoted_printable(std::string_view crlf_text);
// Base64 in lines of 76 bytes.
std::string encode_base64_lines(std::string_view data);

}  // namespace mailferry::pipeline
