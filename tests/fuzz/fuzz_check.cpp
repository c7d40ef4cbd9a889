#include "fuzz_check.hpp"

#include <cstdio>
#include <cstdlib>

namespace mailferry::fuzz {

void property_broken(const char* file, int line, const char* what) {
    std::fprintf(stderr, "%s:%d: fuzz property broken: %s\n", file, line, what);
    std::abort();
}

bool strict_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto b = static_cast<unsigned char>(s[i]);
        int extra = b < 0x80 ? 0 : b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2 : b >= 0xF0 && b <= 0xF4 ? 3 : -1;
        if (extra < 0 || s.size() - i <= size_t(extra)) return false;
        char32_t cp = extra == 0 ? b : (b & (0x3F >> extra));
        for (int k = 1; k <= extra; ++k) {
            auto c = static_cast<unsigned char>(s[i + size_t(k)]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        const char32_t min_for[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_for[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += size_t(extra) + 1;
    }
    return true;
}

bool imap_atom(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        bool ctl = u < 0x20 || u == 0x7F;
        bool special = c == '(' || c == ')' || c == '{' || c == ' ' || c == '%' || c == '*' || c == '"' ||
                       c == '\\' || c == ']';
        if (u >= 0x80 || ctl || special) return false;
    }
    return true;
}

}  // namespace mailferry::fuzz
