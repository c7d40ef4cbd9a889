// What the fuzz targets assert beyond "no crash": a broken property aborts
// with a message, which libFuzzer reports as a crash and the regression test
// as a failed test.
#pragma once

#include <string_view>

namespace mailferry::fuzz {

[[noreturn]] void property_broken(const char* file, int line, const char* what);

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
// Written here, not taken from src/mime, so that the oracle does not share a
// bug with the code it checks.
bool strict_utf8(std::string_view s);

// An IMAP atom as RFC 3501 §9 defines it: one or more ATOM-CHARs, i.e. 7-bit
// characters other than controls, DEL and the atom-specials ( ) { SP % * " \ ].
// Written from the grammar, not from src/core/flags.cpp, for the same reason.
bool imap_atom(std::string_view s);

}  // namespace mailferry::fuzz

#define MF_FUZZ_CHECK(cond) \
    ((cond) ? void(0) : ::mailferry::fuzz::property_broken(__FILE__, __LINE__, #cond))
