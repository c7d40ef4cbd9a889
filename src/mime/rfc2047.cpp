#include "mime/rfc2047.hpp"

#include <optional>

#include "mime/charset.hpp"
#include "mime/transfer_encoding.hpp"

namespace mailferry::mime {
namespace {

constexpr size_t kMaxCharsetLabel = 64;

struct EncodedWord {
    std::string_view charset;
    std::string bytes;  // decoded, still in charset
    size_t end = 0;     // one past the closing "?="
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// "=?charset?Q|B?text?=" at s[pos] (which is "=?"). The text may not hold
// '?' (RFC 2047 §5), which keeps every attempt short: it ends at the first
// '?' after the encoding letter, so the scan stays linear.
std::optional<EncodedWord> parse_word(std::string_view s, size_t pos) {
    size_t cs_begin = pos + 2;
    size_t q1 = s.find('?', cs_begin);
    if (q1 == std::string_view::npos || q1 == cs_begin || q1 - cs_begin > kMaxCharsetLabel) return std::nullopt;
    std::string_view charset = s.substr(cs_begin, q1 - cs_begin);
    for (char c : charset)
        if (is_blank(c) || c == '=') return std::nullopt;
    if (q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
    char enc = s[q1 + 1];
    size_t text_begin = q1 + 3;
    size_t q2 = s.find('?', text_begin);
    if (q2 == std::string_view::npos || q2 + 1 >= s.size() || s[q2 + 1] != '=') return std::nullopt;
    std::string_view text = s.substr(text_begin, q2 - text_begin);
    EncodedWord w{charset, {}, q2 + 2};
    if (enc == 'B' || enc == 'b') append_base64_decoded(text, w.bytes);
    else if (enc == 'Q' || enc == 'q') append_q_decoded(text, w.bytes);
    else return std::nullopt;
    return w;
}

// Collects decoded output: runs of encoded-word bytes in one charset are
// converted together, plain text is guessed.
class Assembler {
public:
    void plain(std::string_view text) {
        flush();
        append_guessed_utf8(text, out_);
    }
    void word(EncodedWord&& w) {
        if (!pending_.empty() && !same_charset(w.charset)) flush();
        charset_ = w.charset;
        pending_ += w.bytes;
    }
    std::string finish() {
        flush();
        return std::move(out_);
    }

private:
    bool same_charset(std::string_view cs) const {
        if (cs.size() != charset_.size()) return false;
        for (size_t i = 0; i < cs.size(); ++i)
            if ((cs[i] | 0x20) != (charset_[i] | 0x20)) return false;
        return true;
    }
    void flush() {
        if (pending_.empty()) return;
        append_utf8(pending_, charset_, out_);
        pending_.clear();
    }
    std::string out_, pending_;
    std::string_view charset_;
};

// Control characters to spaces, runs of blanks to one, trimmed.
std::string one_line(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else if (c == ' ') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += ch;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

}  // namespace

std::string decode_header_text(std::string_view raw) {
    Assembler a;
    size_t pos = 0;         // start of text not yet emitted
    bool after_word = false;  // the text since pos follows an encoded word
    size_t search = 0;
    while (search < raw.size()) {
        size_t start = raw.find("=?", search);
        if (start == std::string_view::npos) break;
        std::optional<EncodedWord> w = parse_word(raw, start);
        if (!w) {
            search = start + 2;
            continue;
        }
        std::string_view between = raw.substr(pos, start - pos);
        bool only_blanks = true;
        for (char c : between) only_blanks = only_blanks && is_blank(c);
        if (!(after_word && only_blanks)) a.plain(between);  // blanks between two words vanish
        size_t end = w->end;
        a.word(std::move(*w));
        pos = search = end;
        after_word = true;
    }
    a.plain(raw.substr(pos));
    return one_line(a.finish());
}

}  // namespace mailferry::mime
