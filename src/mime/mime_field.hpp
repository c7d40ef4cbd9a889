// A structured MIME header value: "text/plain; charset=\"koi8-r\"" or
// "attachment; filename*=UTF-8''%E2%82%AC.txt" (RFC 2045 §5.1, RFC 2183,
// RFC 2231), parsed leniently.
//
// Quoted strings may hold ';' and quoted pairs; comments are dropped; a
// parameter without '=' is ignored; of a parameter given twice the first
// counts. RFC 2231 forms are joined and decoded: name*=charset'lang'%XX,
// name*0=..., name*1*=...; their value comes out in UTF-8. Other values are
// the raw bytes between the quotes (they may hold RFC 2047 words or 8-bit
// bytes: decode_header_text them when they are text to show).
// Errors: none; nothing throws. Thread-safety: pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailferry::mime {

struct MimeField {
    std::string value;  // "text/plain", "attachment": lowercased, blanks and comments removed
    std::vector<std::pair<std::string, std::string>> params;  // names lowercased, without RFC 2231 '*' parts

    // The first parameter called name (lowercase), or nullptr.
    const std::string* param(std::string_view name) const;
};

MimeField parse_mime_field(std::string_view raw);

}  // namespace mailferry::mime
