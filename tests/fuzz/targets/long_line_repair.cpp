// --repair long-lines (src/pipeline/long_line_repair.hpp): the input's first
// byte picks the line limit (76 to 331 bytes, so that short inputs have long
// lines; the office365 profile's 10,000 too when the message is longer), the
// rest is a message, made wire form as replay makes it (to_wire) and, for
// "no crash" only, as it is. Properties, from the header's promises:
//  - when it reports no failure, no line of the result is longer than the
//    limit (what replay then sends without a second look);
//  - CRLF stays CRLF: the result has no bare CR or LF, no NUL;
//  - a message without long lines comes back byte for byte, nothing counted;
//    and nothing counted means nothing changed;
//  - with no part re-encoded, the result is the message with headers_folded
//    line breaks inserted before white space, nothing else;
//  - repairing the result again changes nothing and counts nothing;
//  - the result grows by at most 4x (quoted-printable's worst case), and the
//    encoders' output decodes (decoders of our own here) to their input, in
//    lines of at most 76 bytes.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"
#include "pipeline/long_line_repair.hpp"
#include "pipeline/preflight.hpp"

namespace mailferry::fuzz {
namespace {

constexpr size_t kOffice365Limit = 10000;

size_t longest_line(std::string_view s) {
    size_t longest = 0;
    for (size_t start = 0; start <= s.size();) {
        size_t eol = std::min(s.find("\r\n", start), s.size());
        longest = std::max(longest, eol - start);
        start = eol + 2;
    }
    return longest;
}

bool wire_form(std::string_view s) {
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\0') return false;
        if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
    }
    return true;
}

size_t count_crlf(std::string_view s) {
    size_t n = 0;
    for (size_t at = s.find("\r\n"); at != std::string_view::npos; at = s.find("\r\n", at + 2)) ++n;
    return n;
}

// The message with every CRLF that is followed by a blank taken out.
std::string unfolded(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' && i + 2 < s.size() && s[i + 1] == '\n' && (s[i + 2] == ' ' || s[i + 2] == '\t')) {
            ++i;
            continue;
        }
        out += s[i];
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Quoted-printable as RFC 2045 §6.7 reads it; nullopt for anything our
// encoder must not write (lowercase hex, a bare '=', trailing blanks).
std::optional<std::string> decode_quoted_printable(std::string_view qp) {
    std::string out;
    for (size_t start = 0; start <= qp.size();) {
        size_t eol = std::min(qp.find("\r\n", start), qp.size());
        std::string_view line = qp.substr(start, eol - start);
        if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) return std::nullopt;
        bool soft = !line.empty() && line.back() == '=';
        if (soft) line.remove_suffix(1);
        for (size_t i = 0; i < line.size(); ++i) {
            if (line[i] != '=') {
                out += line[i];
                continue;
            }
            if (i + 2 >= line.size()) return std::nullopt;
            int hi = hex_value(line[i + 1]), lo = hex_value(line[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (eol == qp.size()) break;
        if (!soft) out += "\r\n";
        start = eol + 2;
    }
    return out;
}

std::optional<std::string> decode_base64(std::string_view b64) {
    auto value = [](char c) {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
    };
    std::string digits;
    for (char c : b64)
        if (c != '\r' && c != '\n') digits += c;
    if (digits.size() % 4 != 0) return std::nullopt;
    std::string out;
    for (size_t i = 0; i < digits.size(); i += 4) {
        int pad = (digits[i + 3] == '=') + (digits[i + 2] == '=');
        if (pad > 0 && i + 4 != digits.size()) return std::nullopt;
        uint32_t v = 0;
        for (size_t k = 0; k < 4; ++k) {
            int d = k >= 4 - size_t(pad) ? 0 : value(digits[i + k]);
            if (d < 0) return std::nullopt;
            v = v << 6 | uint32_t(d);
        }
        out += static_cast<char>(v >> 16);
        if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
        if (pad < 1) out += static_cast<char>(v & 0xFF);
    }
    return out;
}

void check_encoders(std::string_view text) {
    std::string qp = pipeline::encode_quoted_printable(text);
    MF_FUZZ_CHECK(wire_form(qp) && longest_line(qp) <= 76);
    MF_FUZZ_CHECK(decode_quoted_printable(qp) == std::string(text));
    std::string b64 = pipeline::encode_base64_lines(text);
    MF_FUZZ_CHECK(wire_form(b64) && longest_line(b64) <= 76);
    MF_FUZZ_CHECK(decode_base64(b64) == std::string(text));
}

void check_repair(const std::string& m, size_t limit) {
    auto r = pipeline::repair_long_lines(m, limit);
    MF_FUZZ_CHECK(r.bytes.size() <= 4 * m.size() + 64);
    MF_FUZZ_CHECK(wire_form(r.bytes));
    MF_FUZZ_CHECK(r.parts_reencoded >= 0 && r.headers_folded >= 0);
    if (r.failure.empty()) MF_FUZZ_CHECK(longest_line(r.bytes) <= limit);
    if (longest_line(m) <= limit)
        MF_FUZZ_CHECK(r.bytes == m && r.failure.empty() && r.parts_reencoded == 0 && r.headers_folded == 0);
    if (r.parts_reencoded == 0 && r.headers_folded == 0) MF_FUZZ_CHECK(r.bytes == m);
    if (r.parts_reencoded == 0) {
        MF_FUZZ_CHECK(count_crlf(r.bytes) == count_crlf(m) + size_t(r.headers_folded));
        MF_FUZZ_CHECK(unfolded(r.bytes) == unfolded(m));
    }
    if (!r.failure.empty()) return;
    auto again = pipeline::repair_long_lines(r.bytes, limit);
    MF_FUZZ_CHECK(again.bytes == r.bytes && again.failure.empty());
    MF_FUZZ_CHECK(again.parts_reencoded == 0 && again.headers_folded == 0);
}

}  // namespace

void long_line_repair_one(const uint8_t* data, size_t size) {
    if (size == 0) return;
    const size_t limit = 76 + data[0];
    std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);

    (void)pipeline::repair_long_lines(raw, limit);  // not wire form: no promise but no crash
    const std::string wire = pipeline::to_wire(raw, false).bytes;
    MF_FUZZ_CHECK(wire_form(wire));
    check_repair(wire, limit);
    if (wire.size() > kOffice365Limit) check_repair(wire, kOffice365Limit);
    check_encoders(raw);
}

}  // namespace mailferry::fuzz
