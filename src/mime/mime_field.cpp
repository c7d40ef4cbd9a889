#include "mime/mime_field.hpp"

#include <algorithm>
#include <map>

#include "core/ascii.hpp"
#include "mime/charset.hpp"

namespace mailferry::mime {
namespace {

constexpr int kMaxSections = 1000;  // RFC 2231 continuations kept per parameter

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

using ascii::lower;

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

class Scanner {
public:
    explicit Scanner(std::string_view s) : s_(s) {}
    bool done() const { return i_ >= s_.size(); }
    char peek() const { return s_[i_]; }
    void skip_blanks_and_comments() {
        while (!done()) {
            if (is_blank(peek())) ++i_;
            else if (peek() == '(') skip_comment();
            else break;
        }
    }
    void skip_comment() {
        int depth = 0;
        for (; !done(); ++i_) {
            if (peek() == '\\') ++i_;
            else if (peek() == '(') ++depth;
            else if (peek() == ')' && --depth == 0) {
                ++i_;
                return;
            }
        }
    }
    // Up to (not including) any of the stop characters.
    std::string_view until(std::string_view stops) {
        size_t b = i_;
        while (!done() && stops.find(peek()) == std::string_view::npos) ++i_;
        return s_.substr(b, i_ - b);
    }
    // After the opening quote: to the closing one (or the end), quoted pairs unescaped.
    std::string quoted() {
        std::string out;
        for (++i_; !done(); ++i_) {
            char c = peek();
            if (c == '"') {
                ++i_;
                break;
            }
            if (c == '\\' && i_ + 1 < s_.size()) c = s_[++i_];
            out += c;
        }
        return out;
    }
    void advance() { ++i_; }

private:
    std::string_view s_;
    size_t i_ = 0;
};

// "foo bar (comment)" -> "foo bar": a comment counts only after a blank, since
// unquoted file names like "report(1).pdf" are common.
std::string_view drop_trailing_comment(std::string_view v) {
    for (size_t i = 1; i < v.size(); ++i)
        if (v[i] == '(' && is_blank(v[i - 1])) return trim(v.substr(0, i));
    return trim(v);
}

using ascii::hex_value;

std::string percent_decoded(std::string_view v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size() && hex_value(v[i + 1]) >= 0 && hex_value(v[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(v[i + 1]) * 16 + hex_value(v[i + 2]));
            i += 2;
        } else {
            out += v[i];
        }
    }
    return out;
}

// The sections of one RFC 2231 parameter, by section number.
struct Extended {
    std::map<int, std::pair<std::string, bool>> sections;  // number -> (value, percent-encoded)
};

// "filename*0*" -> base "filename", section 0, encoded; false when the name has no '*'.
bool split_extended(const std::string& name, std::string& base, int& section, bool& encoded) {
    size_t star = name.find('*');
    if (star == std::string::npos || star == 0) return false;
    base = name.substr(0, star);
    std::string_view rest = std::string_view(name).substr(star + 1);
    section = 0;
    encoded = true;  // "name*": one value, charset'language'percent-encoded
    if (rest.empty()) return true;
    encoded = rest.back() == '*';
    if (encoded) rest.remove_suffix(1);
    // "name**" leaves no section number: std::stoi("") threw out of a
    // function that promises not to (fuzzer).
    if (rest.empty() || rest.size() > 4 ||
        !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    section = std::stoi(std::string(rest));
    return section < kMaxSections;
}

// Joins the sections; the first encoded one carries charset'language'.
std::string join_extended(const Extended& e) {
    std::string bytes, charset;
    bool any_encoded = false, first = true;
    for (const auto& [n, sec] : e.sections) {
        std::string_view v = sec.first;
        if (sec.second && first) {
            size_t q1 = v.find('\'');
            size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
            if (q2 != std::string_view::npos) {
                charset = std::string(v.substr(0, q1));
                v = v.substr(q2 + 1);
            }
        }
        first = false;
        any_encoded = any_encoded || sec.second;
        bytes += sec.second ? percent_decoded(v) : std::string(v);
    }
    if (!any_encoded) return bytes;
    return charset.empty() ? guessed_utf8(bytes) : to_utf8(bytes, charset);
}

}  // namespace

const std::string* MimeField::param(std::string_view name) const {
    for (const auto& [n, v] : params)
        if (n == name) return &v;
    return nullptr;
}

MimeField parse_mime_field(std::string_view raw) {
    MimeField f;
    std::string unfolded(raw);  // RFC 5322 §2.2.3: a folding line break goes, the blank after it stays
    unfolded.erase(std::remove_if(unfolded.begin(), unfolded.end(), [](char c) { return c == '\r' || c == '\n'; }),
                   unfolded.end());
    Scanner sc(unfolded);
    sc.skip_blanks_and_comments();
    f.value = lower(trim(sc.until(";( \t\r\n")));
    std::map<std::string, Extended> extended;
    while (!sc.done()) {
        sc.skip_blanks_and_comments();
        if (sc.done()) break;
        if (sc.peek() == ';') {
            sc.advance();
            continue;
        }
        std::string name = lower(trim(sc.until("=;")));
        if (sc.done() || sc.peek() == ';') continue;  // no '=': not a parameter
        sc.advance();
        sc.skip_blanks_and_comments();
        std::string value;
        if (!sc.done() && sc.peek() == '"') {
            value = sc.quoted();
            sc.until(";");
        } else {
            value = std::string(drop_trailing_comment(sc.until(";")));
        }
        if (name.empty()) continue;
        std::string base;
        int section = 0;
        bool encoded = false;
        if (split_extended(name, base, section, encoded)) {
            extended[base].sections.emplace(section, std::make_pair(std::move(value), encoded));
        } else if (f.param(name) == nullptr) {
            f.params.emplace_back(name, std::move(value));
        }
    }
    // An RFC 2231 value wins over a plain parameter of the same name (clients
    // send both, the plain one for old readers).
    for (const auto& entry : extended) {
        const std::string& base = entry.first;  // not a structured binding: clang 14 cannot capture those
        std::string joined = join_extended(entry.second);
        auto it = std::find_if(f.params.begin(), f.params.end(), [&](const auto& p) { return p.first == base; });
        if (it != f.params.end()) it->second = std::move(joined);
        else f.params.emplace_back(base, std::move(joined));
    }
    return f;
}

}  // namespace mailferry::mime
