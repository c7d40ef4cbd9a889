// Modified UTF-7 (RFC 3501 §5.1.3), the encoding of IMAP mailbox names and of
// Dovecot's Maildir++ folder directory names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailferry {

// UTF-8 -> modified UTF-7. Invalid UTF-8 bytes are encoded as U+FFFD.
std::string mutf7_encode(std::string_view utf8);

// Modified UTF-7 -> UTF-8; nullopt if the input is not valid modified UTF-7
// (the caller then keeps the name as the server sent it).
std::optional<std::string> mutf7_decode(std::string_view mutf7);

}  // namespace mailferry
