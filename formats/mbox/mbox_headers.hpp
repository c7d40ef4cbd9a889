// The header fields mbox files use for their own bookkeeping, read from a
// message's raw header section without a MIME library: the length a
// mboxcl/mboxcl2 writer announced, the flags mail readers store in headers,
// and the addresses a writer needs for the From_ line.
//
// Flags (the forms of mutt, Pine/UW-IMAP, Dovecot, Thunderbird):
//   Status:     R = \Seen, O = old (seen by a mail reader, no longer recent)
//   X-Status:   A = \Answered, F = \Flagged, T = \Draft, D = \Deleted
//   X-Keywords: keywords separated by commas and/or spaces
// Google Takeout's X-Gmail-Labels value is returned unfolded but otherwise raw.
//
// Limits: reads at most 256 KiB of header; the first occurrence of a field
// wins. Never throws; any bytes (NUL, bare CR, 8-bit) are tolerated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mailferry/flags.hpp"

namespace mailferry::mbox {

struct MboxHeaders {
    std::optional<uint64_t> content_length;  // a well-formed Content-Length: value
    Flags flags;
    bool old = false;                        // Status: has O
    std::optional<std::string> gmail_labels; // X-Gmail-Labels:, unfolded
    // UW-IMAP/Pine keep a first pseudo message ("DON'T DELETE THIS MESSAGE --
    // FOLDER INTERNAL DATA", with an X-IMAP: field) holding folder state.
    bool folder_internal_data = false;
};

// message: the message bytes (or just its header section); parsing stops at
// the first empty line.
MboxHeaders parse_mbox_headers(std::string_view message);

// Length of the header section including the empty line that ends it, or
// std::string_view::npos when the message has no empty line (all header).
size_t header_section_size(std::string_view message);

// The first value of field `name` (case-insensitive), unfolded, trimmed.
std::optional<std::string> header_value(std::string_view message, std::string_view name);

// The envelope sender a writer puts on the From_ line: the Return-Path
// address, else the first address of From:, else "" (the caller writes
// MAILER-DAEMON). "<>" (a bounce) gives "MAILER-DAEMON".
std::string envelope_sender(std::string_view message);

// True when line (without its line feed) starts a header field: a name of
// printable ASCII without ':' followed by ':' (optionally after blanks, the
// obsolete "Subject :" form).
bool looks_like_header_line(std::string_view line);

}  // namespace mailferry::mbox
