// The snippet shown with a search hit: a few words of the message's text
// around the first word the query asked for, that word in [brackets].
//
// Why not FTS5's snippet(): the text index keeps no copy of the text
// (schema step 4 says why), so the snippet is made from the text extracted
// again from the message file, for the few hits shown. A word matches the
// way FTS5's unicode61 tokenizer matches for ASCII (case-folded; "word*" as a
// prefix); for other letters it matches only byte for byte, so a hit found
// through case or diacritics folding may get the text's first words instead.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailferry::cache {

struct QueryWord {
    std::string text;     // lower-case ASCII letters folded
    bool prefix = false;  // "word*"
};

// The words of an FTS5 query: its operators (AND, OR, NOT, NEAR), column
// names ("subject:"), quotes, parentheses and '^' left out.
std::vector<QueryWord> query_words(std::string_view fts_query);

// At most max_words words of text, starting a little before the first word
// that matches one of words; every matching word in the window is
// bracketed; "..." marks a cut at either end. Blanks and line breaks become
// single spaces. Without any match: the text's first words.
std::string make_snippet(std::string_view text, const std::vector<QueryWord>& words, size_t max_words = 12);

}  // namespace mailferry::cache
