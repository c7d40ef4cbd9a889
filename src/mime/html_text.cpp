#include "mime/html_text.hpp"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <strings.h>

#include "core/ascii.hpp"
#include "mime/charset.hpp"
#include "mime/html_entities.hpp"

namespace mailferry::mime {
namespace {

constexpr size_t kMetaScan = 4096;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

using ascii::iequals;

// Case-insensitive search for an ASCII needle.
size_t ifind(std::string_view hay, std::string_view needle, size_t from) {
    if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
    char c0 = needle[0];
    const char first[3] = {c0, static_cast<char>(is_alpha(c0) ? c0 ^ 0x20 : 0), 0};
    for (size_t i = from; i + needle.size() <= hay.size();) {
        size_t j = hay.find_first_of(first, i);
        if (j == std::string_view::npos || j + needle.size() > hay.size()) return std::string_view::npos;
        if (strncasecmp(hay.data() + j, needle.data(), needle.size()) == 0) return j;
        i = j + 1;
    }
    return std::string_view::npos;
}

// Elements after which a reader sees a line break.
bool is_block(std::string_view name) {
    static constexpr const char* kBlocks[] = {
        "address", "article", "aside", "blockquote", "br", "center", "dd", "div", "dl", "dt", "fieldset",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
        "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "title", "tr", "ul"};
    for (const char* b : kBlocks)
        if (iequals(name, b)) return true;
    return false;
}

class HtmlText {
public:
    HtmlText(std::string_view html, std::string& out) : h_(html), out_(out), start_(out.size()) {}

    void run() {
        while (i_ < h_.size()) {
            char c = h_[i_];
            if (c == '<') tag();
            else if (c == '&') reference();
            else if (is_space(c)) {
                space();
                ++i_;
            } else {
                size_t e = i_ + 1;
                while (e < h_.size() && h_[e] != '<' && h_[e] != '&' && !is_space(h_[e])) ++e;
                out_.append(h_.data() + i_, e - i_);
                i_ = e;
            }
        }
        while (out_.size() > start_ && is_space(out_.back())) out_.pop_back();
    }

private:
    void space() {
        if (out_.size() > start_ && !is_space(out_.back())) out_ += ' ';
    }
    void newline() {
        while (out_.size() > start_ && out_.back() == ' ') out_.pop_back();
        if (out_.size() > start_ && out_.back() != '\n') out_ += '\n';
    }
    void skip_past(std::string_view end_marker) {
        size_t e = ifind(h_, end_marker, i_);
        i_ = e == std::string_view::npos ? h_.size() : e + end_marker.size();
    }
    // From a tag's name to just past its '>', stepping over quoted attribute values.
    void skip_attributes() {
        size_t j = i_;
        char quote = 0;
        for (; j < h_.size(); ++j) {
            char c = h_[j];
            if (quote) {
                if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                if (j > 0 && h_[j - 1] == '=') quote = c;  // only a value starts a quote
            } else if (c == '>') {
                break;
            }
        }
        if (j >= h_.size() && quote) {  // an unclosed quote: fall back to the first '>'
            const void* gt = std::memchr(h_.data() + i_, '>', h_.size() - i_);
            j = gt ? static_cast<size_t>(static_cast<const char*>(gt) - h_.data()) : h_.size();
        }
        i_ = j < h_.size() ? j + 1 : h_.size();
    }
    void tag() {
        std::string_view rest = h_.substr(i_);
        if (rest.substr(0, 4) == "<!--") {
            i_ += 4;
            return skip_past("-->");
        }
        if (rest.size() > 1 && (rest[1] == '!' || rest[1] == '?')) {
            ++i_;
            return skip_past(">");
        }
        bool closing = rest.size() > 1 && rest[1] == '/';
        size_t name_begin = i_ + (closing ? 2 : 1);
        size_t e = name_begin;
        while (e < h_.size() && is_alnum(h_[e])) ++e;
        if (e == name_begin || !is_alpha(h_[name_begin])) {  // "a < b": text
            out_ += '<';
            ++i_;
            return;
        }
        std::string_view name = h_.substr(name_begin, e - name_begin);
        i_ = e;
        skip_attributes();
        if (!closing && (iequals(name, "script") || iequals(name, "style"))) {
            skip_past(iequals(name, "script") ? "</script" : "</style");
            skip_attributes();
            return space();
        }
        if (is_block(name)) newline();
        else if (iequals(name, "td") || iequals(name, "th") || iequals(name, "img")) space();
    }
    void reference() {
        size_t j = i_ + 1;
        char32_t cp = 0;
        if (j < h_.size() && h_[j] == '#') {
            bool hex = j + 1 < h_.size() && (h_[j + 1] == 'x' || h_[j + 1] == 'X');
            j += hex ? 2 : 1;
            size_t digits_begin = j;
            uint64_t v = 0;
            while (j < h_.size() && j - digits_begin < 8 &&
                   (hex ? std::isxdigit(static_cast<unsigned char>(h_[j])) : std::isdigit(static_cast<unsigned char>(h_[j])))) {
                char d = h_[j++];
                v = v * (hex ? 16 : 10) + static_cast<uint64_t>(d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
            }
            if (j == digits_begin) return literal_ampersand();
            cp = v > 0x10FFFF ? 0xFFFD : static_cast<char32_t>(v);
        } else {
            while (j < h_.size() && j - i_ <= 10 && is_alnum(h_[j])) ++j;
            cp = html_entity(h_.substr(i_ + 1, j - i_ - 1));
            if (cp == 0) return literal_ampersand();
        }
        if (j < h_.size() && h_[j] == ';') ++j;
        i_ = j;
        if (cp == 0xA0 || cp == '\t' || cp == '\n' || cp == '\r') return space();  // &nbsp; separates words
        if (cp >= 0x80 && cp < 0xA0) {  // what HTML does with C1 references: windows-1252
            char byte = static_cast<char>(cp);
            append_utf8(std::string_view(&byte, 1), "windows-1252", out_);
            return;
        }
        append_code_point(cp, out_);
    }
    void literal_ampersand() {
        out_ += '&';
        ++i_;
    }

    std::string_view h_;
    std::string& out_;
    size_t start_;
    size_t i_ = 0;
};

}  // namespace

void append_html_text(std::string_view html, std::string& out) { HtmlText(html, out).run(); }

std::string html_to_text(std::string_view html) {
    std::string out;
    append_html_text(html, out);
    return out;
}

std::string html_meta_charset(std::string_view html) {
    html = html.substr(0, kMetaScan);
    for (size_t meta = ifind(html, "<meta", 0); meta != std::string_view::npos; meta = ifind(html, "<meta", meta + 5)) {
        size_t end = html.find('>', meta);
        std::string_view tag = html.substr(meta, end == std::string_view::npos ? html.npos : end - meta);
        size_t cs = ifind(tag, "charset", 0);
        if (cs == std::string_view::npos) continue;
        size_t j = cs + 7;
        while (j < tag.size() && (is_space(tag[j]) || tag[j] == '=' || tag[j] == '"' || tag[j] == '\'')) ++j;
        size_t b = j;
        while (j < tag.size() && (is_alnum(tag[j]) || tag[j] == '-' || tag[j] == '_' || tag[j] == ':' || tag[j] == '.'))
            ++j;
        if (j > b) return std::string(tag.substr(b, j - b));
    }
    return {};
}

}  // namespace mailferry::mime
