// Header text to UTF-8: RFC 2047 encoded words and raw 8-bit bytes.
//
// Lenient the way mail clients are: encoded words are decoded wherever they
// stand (inside quoted strings, glued to other text); whitespace between two
// encoded words is dropped; adjacent words in the same charset are joined
// before conversion, so a character split across two words survives; an
// unknown charset or raw 8-bit text is guessed (UTF-8 if valid, else
// windows-1252); a word that is not well formed stays as it is.
// Errors: none, nothing throws. Time is linear in the input.
// Thread-safety: as mime/charset.hpp (safe from several threads).
#pragma once

#include <string>
#include <string_view>

namespace mailferry::mime {

// A header field value (folded or not) as one line of UTF-8: line breaks,
// tabs and other control characters become spaces, NUL bytes go, and leading
// and trailing blanks are trimmed.
std::string decode_header_text(std::string_view raw);

}  // namespace mailferry::mime
