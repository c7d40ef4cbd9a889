#include "cache/search_snippet.hpp"

#include <algorithm>

namespace mailferry::cache {
namespace {

// A token character as unicode61 sees it, near enough: ASCII letters and
// digits, and every byte of a multi-byte UTF-8 character.
bool word_byte(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

char fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string folded(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), fold);
    return out;
}

struct Span {
    size_t begin, end;
};

// The next word at or after i, or false at the end; i moves past it.
bool next_word(std::string_view text, size_t& i, Span& word) {
    while (i < text.size() && !word_byte(static_cast<unsigned char>(text[i]))) ++i;
    size_t b = i;
    while (i < text.size() && word_byte(static_cast<unsigned char>(text[i]))) ++i;
    word = {b, i};
    return i > b;
}

std::vector<Span> words_of(std::string_view text) {
    std::vector<Span> out;
    size_t i = 0;
    for (Span w{}; next_word(text, i, w);) out.push_back(w);
    return out;
}

bool matches(std::string_view word, const std::vector<QueryWord>& query) {
    std::string w = folded(word);
    for (const auto& q : query) {
        if (q.prefix ? w.compare(0, q.text.size(), q.text) == 0 : w == q.text) return true;
    }
    return false;
}

}  // namespace

std::vector<QueryWord> query_words(std::string_view q) {
    std::vector<QueryWord> out;
    size_t i = 0;
    for (Span w{}; next_word(q, i, w);) {
        std::string_view word = q.substr(w.begin, w.end - w.begin);
        bool column = i < q.size() && q[i] == ':';
        bool op = word == "AND" || word == "OR" || word == "NOT" || word == "NEAR";
        if (column || op) continue;
        out.push_back({folded(word), i < q.size() && q[i] == '*'});
    }
    return out;
}

std::string make_snippet(std::string_view text, const std::vector<QueryWord>& query, size_t max_words) {
    auto words = words_of(text);
    if (words.empty() || max_words == 0) return "";
    size_t first = 0;
    for (size_t k = 0; k < words.size(); ++k) {
        if (matches(text.substr(words[k].begin, words[k].end - words[k].begin), query)) {
            first = k;
            break;
        }
    }
    // A quarter of the window before the match, the rest after it.
    size_t start = first > max_words / 4 ? first - max_words / 4 : 0;
    size_t end = std::min(words.size(), start + max_words);
    if (end - start < max_words) start = end > max_words ? end - max_words : 0;

    std::string out = start > 0 ? "..." : "";
    // From the window's first word to its last, the text's own punctuation
    // kept, blanks and line breaks folded to one space.
    size_t from = words[start].begin, to = words[end - 1].end;
    size_t next = start;
    bool blank = false;
    for (size_t i = from; i < to;) {
        if (next < end && i == words[next].begin) {
            if (blank && !out.empty() && out != "...") out += ' ';
            blank = false;
            std::string_view w = text.substr(i, words[next].end - i);
            bool hit = matches(w, query);
            out += hit ? "[" : "";
            out += w;
            out += hit ? "]" : "";
            i = words[next].end;
            ++next;
            continue;
        }
        char c = text[i++];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            blank = true;
        } else if (static_cast<unsigned char>(c) >= 0x20) {
            if (blank && !out.empty() && out != "...") out += ' ';
            blank = false;
            out += c;
        }
    }
    if (end < words.size()) out += "...";
    return out;
}

}  // namespace mailferry::cache
