// Text in a message's charset, to UTF-8 for the search index.
//
// The common charsets (UTF-8, US-ASCII, ISO-8859-1, windows-1252) are
// converted here without iconv; the others through wrap::IconvConverter, one
// cached descriptor per charset and thread. A label is first mapped the way
// mail clients read it (the WHATWG encoding table): ISO-8859-1 is read as
// windows-1252, GB2312 as GB18030, Shift_JIS as CP932, EUC-KR as CP949, since
// senders label the superset with the subset's name.
//
// Every output is valid UTF-8 without NUL bytes: what cannot be converted
// becomes U+FFFD. An unknown or undeclared charset is guessed: valid UTF-8
// stays as it is, anything else is read as windows-1252.
// Errors: none; nothing throws. Thread-safety: every function may be called
// from several threads at once (the converter cache is per thread).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailferry::mime {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Appends the UTF-8 form of `bytes` (in `charset`, any spelling: "KOI8-R",
// "\"koi8-r\"", "utf8") to `out`, growing it by at most max_out bytes, cut at
// a character boundary. Returns false when that cap cut the text.
bool append_utf8(std::string_view bytes, std::string_view charset, std::string& out,
                 size_t max_out = std::string::npos);

// Undeclared 8-bit text (raw header bytes, unknown labels): UTF-8 when it is
// valid UTF-8, else windows-1252. Same cap as append_utf8.
bool append_guessed_utf8(std::string_view bytes, std::string& out, size_t max_out = std::string::npos);

std::string to_utf8(std::string_view bytes, std::string_view charset);
std::string guessed_utf8(std::string_view bytes);

// Whether a label names a charset we convert (not guessed).
bool charset_known(std::string_view charset);

bool is_valid_utf8(std::string_view s);

// One code point in UTF-8; U+FFFD for 0, surrogates and values above U+10FFFF.
void append_code_point(char32_t cp, std::string& out);

// The length of the longest prefix of UTF-8 text `s` that is at most max
// bytes and does not end inside a character.
size_t utf8_cut(std::string_view s, size_t max);

}  // namespace mailferry::mime
