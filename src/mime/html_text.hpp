// HTML to the text a reader sees, for the search index: tags dropped, script,
// style and comments removed, character references decoded, blanks collapsed,
// block elements (p, div, br, li, tr, h1...) on their own lines.
//
// Not an HTML parser: a single forward scan that survives any input (unclosed
// tags, quotes and comments run to the end of the text). Linear time.
// Errors: none; nothing throws. Thread-safety: pure.
#pragma once

#include <string>
#include <string_view>

namespace mailferry::mime {

// html is UTF-8 (converted from the part's charset first); so is the output.
void append_html_text(std::string_view html, std::string& out);
std::string html_to_text(std::string_view html);

// The charset a <meta charset=...> or <meta http-equiv content="...; charset=...">
// declares in the first 4 KiB, as written; empty when there is none. For an
// HTML part whose Content-Type names no charset.
std::string html_meta_charset(std::string_view html);

}  // namespace mailferry::mime
