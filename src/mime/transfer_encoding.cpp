#include "mime/transfer_encoding.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include "core/ascii.hpp"

namespace mailferry::mime {
namespace {

constexpr std::array<int8_t, 256> make_base64_table() {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return t;
}
constexpr std::array<int8_t, 256> kBase64 = make_base64_table();

using ascii::hex_value;

std::string lower_letters(std::string_view s) {
    std::string out;
    for (char c : s)
        if (c >= 'A' && c <= 'Z') out += static_cast<char>(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;  // drops '-', ' ', quotes
    return out;
}

// Appends the bytes of a partial group of n sextets (2 or 3) held in bits.
void flush_group(uint32_t bits, int n, std::string& out) {
    if (n == 2) out += static_cast<char>(bits >> 4);
    if (n == 3) {
        out += static_cast<char>(bits >> 10);
        out += static_cast<char>(bits >> 2);
    }
}

}  // namespace

TransferEncoding transfer_encoding_of(std::string_view value) {
    std::string v = lower_letters(value);
    if (v.find("base64") != std::string::npos && v.find("gzip") == std::string::npos) return TransferEncoding::base64;
    if (v.find("quoted") != std::string::npos) return TransferEncoding::quoted_printable;
    if (v.find("uu") != std::string::npos || v.find("gzip") != std::string::npos || v.find("binhex") != std::string::npos)
        return TransferEncoding::unreadable;
    return TransferEncoding::identity;
}

void append_base64_decoded(std::string_view in, std::string& out) {
    out.reserve(out.size() + in.size() / 4 * 3 + 3);
    uint32_t bits = 0;
    int n = 0;
    for (char ch : in) {
        int8_t v = kBase64[static_cast<unsigned char>(ch)];
        if (v < 0) {
            if (ch == '=' && n > 0) {  // padding: the group ends here
                flush_group(bits, n, out);
                bits = 0;
                n = 0;
            }
            continue;
        }
        bits = (bits << 6) | static_cast<uint32_t>(v);
        if (++n == 4) {
            out += static_cast<char>(bits >> 16);
            out += static_cast<char>(bits >> 8);
            out += static_cast<char>(bits);
            bits = 0;
            n = 0;
        }
    }
    flush_group(bits, n, out);
}

void append_qp_decoded(std::string_view in, std::string& out) {
    out.reserve(out.size() + in.size());
    size_t i = 0;
    while (i < in.size()) {
        const void* eq = std::memchr(in.data() + i, '=', in.size() - i);
        size_t e = eq ? static_cast<size_t>(static_cast<const char*>(eq) - in.data()) : in.size();
        out.append(in.data() + i, e - i);
        if (e >= in.size()) break;
        i = e + 1;
        if (i + 1 < in.size() && hex_value(in[i]) >= 0 && hex_value(in[i + 1]) >= 0) {
            out += static_cast<char>(hex_value(in[i]) * 16 + hex_value(in[i + 1]));
            i += 2;
            continue;
        }
        size_t j = i;  // a soft line break: '=', blanks (transport padding), then the line end
        while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
        if (j < in.size() && in[j] == '\r') ++j;
        if (j < in.size() && in[j] == '\n') {
            i = j + 1;
            continue;
        }
        if (j == in.size()) {
            i = j;  // '=' at the very end: a soft break before the end of the part
            continue;
        }
        out += '=';
    }
}

void append_q_decoded(std::string_view in, std::string& out) {
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '_') {
            out += ' ';
        } else if (c == '=' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
}

}  // namespace mailferry::mime
