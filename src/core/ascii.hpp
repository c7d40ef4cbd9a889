// ASCII case and hex digits, for protocol words, header names, charsets and
// file names: the one home of what seventeen files each wrote for themselves.
// Only A-Z and a-z change case; other bytes (8-bit included) stay as they are,
// whatever the locale, where std::tolower would ask the C locale.
#pragma once

#include <string>
#include <string_view>

namespace mailferry::ascii {

constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
std::string lower(std::string_view s);
std::string upper(std::string_view s);

// Equal but for ASCII case.
bool iequals(std::string_view a, std::string_view b);
// s begins with prefix, but for ASCII case.
bool istarts_with(std::string_view s, std::string_view prefix);

// The value of a hex digit (either case), or -1.
constexpr int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace mailferry::ascii
