// UTF-8 encoding of one code point, shared by the modified UTF-7 codec and
// the charset decoder.
#pragma once

#include <string>

namespace mailferry {

// Appends cp as UTF-8. The caller has checked that cp is a Unicode scalar
// value (at most U+10FFFF, not a surrogate).
void append_utf8(std::string& out, char32_t cp);

}  // namespace mailferry
