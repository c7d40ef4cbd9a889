// Base64 (RFC 4648 §4) for SASL, and its URL-safe, unpadded form (§5) for
// JWTs. Decoding is strict about the alphabet but tolerates missing padding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailferry {

std::string base64_encode(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);  // no '=' padding
// nullopt when text holds a character outside the alphabet (whitespace included).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mailferry
