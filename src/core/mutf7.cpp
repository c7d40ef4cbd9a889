#include "core/mutf7.hpp"

#include <cstdint>
#include <vector>

#include "core/utf8.hpp"

namespace mailferry {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int alphabet_index(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

// Decodes one UTF-8 code point at s[i], advancing i; U+FFFD on a bad sequence.
char32_t next_code_point(std::string_view s, size_t& i) {
    auto b = static_cast<unsigned char>(s[i++]);
    int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
    // 0xF8-0xFF lead nothing in UTF-8; taken as 4-byte leads they made code points.
    if ((b >= 0x80 && extra == 0) || b >= 0xF8) return 0xFFFD;
    char32_t cp = extra == 0 ? b : (b & (0x3F >> extra));
    for (int k = 0; k < extra; ++k) {
        if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
    }
    // Overlong forms too (fuzzer: "\xC1\x89" is 'I' in disguise): encoded as
    // base64 they made a name that mutf7_decode refuses, since RFC 3501 wants
    // printable ASCII sent as itself.
    constexpr char32_t shortest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < shortest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    return cp;
}


void flush_utf16(std::string& out, const std::vector<uint16_t>& units) {
    out += '&';
    uint32_t bits = 0;
    int nbits = 0;
    for (uint16_t u : units) {
        for (int byte : {u >> 8, u & 0xFF}) {
            bits = (bits << 8) | static_cast<uint32_t>(byte);
            nbits += 8;
            while (nbits >= 6) {
                nbits -= 6;
                out += kAlphabet[(bits >> nbits) & 0x3F];
            }
        }
    }
    if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3F];
    out += '-';
}

}  // namespace

std::string mutf7_encode(std::string_view utf8) {
    std::string out;
    std::vector<uint16_t> pending;
    size_t i = 0;
    while (i < utf8.size()) {
        auto c = static_cast<unsigned char>(utf8[i]);
        if (c >= 0x20 && c <= 0x7E) {
            if (!pending.empty()) {
                flush_utf16(out, pending);
                pending.clear();
            }
            out += c == '&' ? std::string("&-") : std::string(1, static_cast<char>(c));
            ++i;
            continue;
        }
        char32_t cp = next_code_point(utf8, i);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            pending.push_back(static_cast<uint16_t>(0xD800 + (cp >> 10)));
            pending.push_back(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
        } else {
            pending.push_back(static_cast<uint16_t>(cp));
        }
    }
    if (!pending.empty()) flush_utf16(out, pending);
    return out;
}

std::optional<std::string> mutf7_decode(std::string_view in) {
    std::string out;
    size_t i = 0;
    while (i < in.size()) {
        char c = in[i];
        auto uc = static_cast<unsigned char>(c);
        if (uc < 0x20 || uc > 0x7E) return std::nullopt;
        if (c != '&') {
            out += c;
            ++i;
            continue;
        }
        size_t end = in.find('-', i + 1);
        if (end == std::string_view::npos) return std::nullopt;
        if (end == i + 1) {
            out += '&';
            i = end + 1;
            continue;
        }
        uint32_t bits = 0;
        int nbits = 0;
        char32_t high = 0;
        for (size_t k = i + 1; k < end; ++k) {
            int v = alphabet_index(in[k]);
            if (v < 0) return std::nullopt;
            bits = (bits << 6) | static_cast<uint32_t>(v);
            nbits += 6;
            if (nbits < 16) continue;
            nbits -= 16;
            auto unit = static_cast<char32_t>((bits >> nbits) & 0xFFFF);
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                if (high) return std::nullopt;
                high = unit;
            } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                if (!high) return std::nullopt;
                append_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00));
                high = 0;
            } else {
                if (high) return std::nullopt;
                // Printable ASCII must be sent directly, never base64: RFC 3501.
                if (unit >= 0x20 && unit <= 0x7E) return std::nullopt;
                append_utf8(out, unit);
            }
        }
        // Leftover bits must be zero padding shorter than one 16-bit unit.
        if (high || nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0) return std::nullopt;
        i = end + 1;
    }
    return out;
}

}  // namespace mailferry
