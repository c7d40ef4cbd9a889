// Named HTML character references (html_text.cpp's table).
#pragma once

#include <string_view>

namespace mailferry::mime {

// The code point of "amp", "eacute", ... (case-sensitive, without '&' and ';'); 0 when unknown.
char32_t html_entity(std::string_view name);

// For the unit test: the table is sorted, so binary search finds every name.
bool html_entities_sorted();

}  // namespace mailferry::mime
