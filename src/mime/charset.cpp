#include "mime/charset.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "core/utf8.hpp"
#include "wrap/iconv_converter.hpp"

namespace mailferry::mime {
namespace {

// windows-1252 0x80..0x9F; the five undefined bytes read as U+FFFD.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

enum class Kind { utf8, guess, cp1252, iconv, unknown };

struct Charset {
    Kind kind = Kind::unknown;
    std::string iconv_name;  // for Kind::iconv
    wrap::IconvConverter::Skip skip = wrap::IconvConverter::Skip::one;
};

// Labels read as a superset, or spelled in a way glibc does not know.
struct Alias {
    const char* label;
    const char* iconv_name;
};
constexpr Alias kAliases[] = {
    {"gb2312", "GB18030"},       {"gbk", "GB18030"},         {"x-gbk", "GB18030"},
    {"cp936", "GB18030"},        {"euc-cn", "GB18030"},      {"csgb2312", "GB18030"},
    {"gb_2312-80", "GB18030"},   {"ks_c_5601-1987", "CP949"}, {"ks_c_5601-1989", "CP949"},
    {"euc-kr", "CP949"},         {"korean", "CP949"},        {"shift_jis", "CP932"},
    {"shift-jis", "CP932"},      {"sjis", "CP932"},          {"x-sjis", "CP932"},
    {"ms_kanji", "CP932"},       {"windows-31j", "CP932"},   {"csshiftjis", "CP932"},
    {"euc-jp", "EUC-JP-MS"},     {"x-euc-jp", "EUC-JP-MS"},  {"iso-2022-jp", "ISO-2022-JP-2"},
    {"csiso2022jp", "ISO-2022-JP-2"}, {"big5", "BIG5-HKSCS"}, {"x-x-big5", "BIG5-HKSCS"},
    {"iso-8859-8-i", "ISO-8859-8"}, {"iso-8859-6-i", "ISO-8859-6"}, {"unicode-1-1-utf-7", "UTF-7"},
    {"x-mac-roman", "MACINTOSH"}, {"windows-874", "CP874"},
    {"tis-620", "CP874"},        {"iso-8859-11", "CP874"},
};

constexpr const char* kAsciiLabels[] = {"us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us", "iso-646-us",
                                        "x-unknown", "unknown-8bit", "unknown", "default", "x-user-defined"};
constexpr const char* kLatin1Labels[] = {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1",
                                         "cp819", "iso-ir-100", "iso_8859-1:1987", "windows-1252", "cp1252",
                                         "x-cp1252", "ibm819"};

bool is_label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':' ||
           c == '+';
}

// "\"KOI8-R\"", " utf-8*en ", "charset=us-ascii" -> "koi8-r", "utf-8", "us-ascii".
// Empty when the label holds anything outside a safe alphabet, so no suffix
// like "//TRANSLIT" and no path ever reaches iconv_open.
std::string normalize_label(std::string_view label) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\r' || c == '\n'; };
    while (!label.empty() && blank(label.front())) label.remove_prefix(1);
    while (!label.empty() && blank(label.back())) label.remove_suffix(1);
    if (size_t star = label.find('*'); star != std::string_view::npos) label = label.substr(0, star);  // RFC 2231 language
    std::string s;
    for (char c : label) s += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (s.rfind("charset=", 0) == 0) s.erase(0, 8);  // "charset=charset=us-ascii" happens (enmime's test mail)
    if (s.size() > 40 || !std::all_of(s.begin(), s.end(), is_label_char)) return {};
    return s;
}

Charset classify(std::string_view label) {
    std::string s = normalize_label(label);
    using Skip = wrap::IconvConverter::Skip;
    if (s.empty()) return {Kind::guess, {}};
    if (s == "utf-8" || s == "utf8") return {Kind::utf8, {}};
    for (const char* a : kAsciiLabels)
        if (s == a) return {Kind::guess, {}};
    for (const char* l : kLatin1Labels)
        if (s == l) return {Kind::cp1252, {}};
    Charset cs{Kind::iconv, s};
    for (const auto& a : kAliases)
        if (s == a.label) cs.iconv_name = a.iconv_name;
    if (s.rfind("utf-16", 0) == 0 || s.rfind("ucs-2", 0) == 0) cs.skip = Skip::two;
    if (s.rfind("utf-32", 0) == 0 || s.rfind("ucs-4", 0) == 0) cs.skip = Skip::four;
    if (s.rfind("iso-2022-", 0) == 0 || s.rfind("csiso2022", 0) == 0) cs.skip = Skip::iso2022;
    return cs;
}

// One converter per charset and thread; a failed iconv_open is remembered too.
class ConverterCache {
public:
    wrap::IconvConverter* get(const std::string& name) {
        for (auto& [n, conv] : entries_)
            if (n == name) return conv ? &*conv : nullptr;
        if (entries_.size() >= kMaxEntries) entries_.clear();
        entries_.emplace_back(name, wrap::IconvConverter::open("UTF-8", name.c_str()));
        auto& conv = entries_.back().second;
        return conv ? &*conv : nullptr;
    }

private:
    static constexpr size_t kMaxEntries = 32;
    std::vector<std::pair<std::string, std::optional<wrap::IconvConverter>>> entries_;
};

ConverterCache& converters() {
    thread_local ConverterCache cache;
    return cache;
}

// Length of the valid UTF-8 prefix of [p, p+n), stopping before a NUL byte.
size_t valid_utf8_prefix(const unsigned char* p, size_t n) {
    size_t i = 0;
    while (i < n) {
        // Eight ASCII bytes at a time: most mail is ASCII.
        while (i + 8 <= n) {
            uint64_t w;
            std::memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ULL) != 0 || ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL) != 0)
                break;  // a high bit or a zero byte in these eight
            i += 8;
        }
        if (i >= n) break;
        unsigned char c = p[i];
        if (c == 0) return i;
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0xC2 || c > 0xF4 || i + len > n) return i;
        unsigned char c1 = p[i + 1];
        if ((c1 & 0xC0) != 0x80) return i;
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
            return i;  // overlong, surrogate, above U+10FFFF
        for (size_t k = 2; k < len; ++k)
            if ((p[i + k] & 0xC0) != 0x80) return i;
        i += len;
    }
    return n;
}

void append_utf8_lossy(std::string_view bytes, std::string& out) {
    auto p = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t n = bytes.size();
    while (n > 0) {
        size_t k = valid_utf8_prefix(p, n);
        out.append(reinterpret_cast<const char*>(p), k);
        if (k == n) break;
        if (p[k] != 0) out += kReplacementChar;  // NUL bytes are dropped, invalid ones replaced
        p += k + 1;
        n -= k + 1;
    }
}

void append_cp1252(std::string_view bytes, std::string& out) {
    out.reserve(out.size() + bytes.size());
    for (char ch : bytes) {
        auto c = static_cast<unsigned char>(ch);
        if (c == 0) continue;
        if (c < 0x80) out += ch;
        else append_code_point(c < 0xA0 ? kCp1252High[c - 0x80] : c, out);
    }
}

void drop_nuls(std::string& out, size_t from) {
    if (std::memchr(out.data() + from, 0, out.size() - from) == nullptr) return;
    out.erase(std::remove(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(), '\0'), out.end());
}

bool cap_output(std::string& out, size_t start, size_t max_out) {
    if (max_out == std::string::npos || out.size() - start <= max_out) return true;
    std::string_view added(out.data() + start, out.size() - start);
    out.resize(start + utf8_cut(added, max_out));
    return false;
}

}  // namespace

void append_code_point(char32_t cp, std::string& out) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) out += kReplacementChar;
    else mailferry::append_utf8(out, cp);
}

bool is_valid_utf8(std::string_view s) {
    auto p = reinterpret_cast<const unsigned char*>(s.data());
    size_t n = s.size();
    for (;;) {
        size_t k = valid_utf8_prefix(p, n);
        if (k == n) return true;
        if (p[k] != 0) return false;
        p += k + 1;
        n -= k + 1;
    }
}

size_t utf8_cut(std::string_view s, size_t max) {
    if (max >= s.size()) return s.size();
    size_t i = max;
    while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    return i;
}

bool append_guessed_utf8(std::string_view bytes, std::string& out, size_t max_out) {
    size_t start = out.size();
    if (is_valid_utf8(bytes)) append_utf8_lossy(bytes, out);
    else append_cp1252(bytes, out);
    return cap_output(out, start, max_out);
}

bool append_utf8(std::string_view bytes, std::string_view charset, std::string& out, size_t max_out) {
    size_t start = out.size();
    Charset cs = classify(charset);
    switch (cs.kind) {
    case Kind::utf8:
        append_utf8_lossy(bytes, out);
        break;
    case Kind::cp1252:
        append_cp1252(bytes, out);
        break;
    case Kind::iconv:
        if (wrap::IconvConverter* conv = converters().get(cs.iconv_name)) {
            bool complete = conv->convert(bytes, out, kReplacementChar, cs.skip, max_out);
            drop_nuls(out, start);
            return complete;
        }
        [[fallthrough]];
    case Kind::guess:
    case Kind::unknown:
        return append_guessed_utf8(bytes, out, max_out);
    }
    return cap_output(out, start, max_out);
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
    std::string out;
    append_utf8(bytes, charset, out);
    return out;
}

std::string guessed_utf8(std::string_view bytes) {
    std::string out;
    append_guessed_utf8(bytes, out);
    return out;
}

bool charset_known(std::string_view charset) {
    Charset cs = classify(charset);
    if (cs.kind == Kind::iconv) return converters().get(cs.iconv_name) != nullptr;
    return cs.kind == Kind::utf8 || cs.kind == Kind::cp1252 || (cs.kind == Kind::guess && !normalize_label(charset).empty());
}

}  // namespace mailferry::mime
