// UTF-8 encoding of one code point, shared by the modified UTF-7 codec and
// the charset decoder.
#pragma once

#include <string>
#include <string_view>

namespace mailferry {

// Appends cp as UTF-8. The caller has checked that cp is a Unicode scalar
// value (at most U+10FFFF, not a surrogate).
void append_utf8(std::string& out, char32_t cp);

// text made safe to print on a terminal, one line: C0 controls (ESC, CR, LF,
// NUL...), DEL, C1 controls and the bidirectional overrides and isolates
// (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) become visible as
// \xNN or <U+NNNN>; bytes that are not UTF-8 become \xNN. Everything else,
// other scripts included, is kept. For server texts and names from mail: a
// folder called "&ABs-[2J" (modified UTF-7 for ESC [2J) must not clear the
// screen, and a reversed name must not hide what it is.
std::string visible_text(std::string_view text);

}  // namespace mailferry
