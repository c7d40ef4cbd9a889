// What the full-text index needs from a raw message: its main header fields
// and the text a reader sees, all in UTF-8.
//
// Input: the message bytes exactly as cached (LF or CRLF or both, NUL bytes,
// 8-bit headers, broken MIME all allowed). The MIME structure is found by our
// own splitter (mime/mime_entity.hpp says why not mimetic's) along the walk
// shared with the attachment reader (mime/part_walk.hpp); every limit of
// TextLimits (mime/text_limits.hpp) is enforced.
//
// Output: every string is valid UTF-8 without NUL bytes; body lines end in
// "\n". The body holds, in message order:
//  - text/plain parts, and text/html (and text/enriched) parts reduced to
//    text (html_text.hpp), that are not attachments, after their
//    Content-Transfer-Encoding and charset (an HTML part without a charset
//    parameter: its <meta> charset); of a multipart/alternative only the
//    alternative with the most text is kept (they hold the same text, and a
//    short one is often a stub: "view this message in HTML");
//  - of each embedded message (message/rfc822), its Subject, From, To and Cc
//    lines, then its text, within the depth limit;
//  - the body of a multipart in which no boundary line is found, as plain text.
// A part is an attachment when its Content-Disposition is "attachment", or
// when it has none and its Content-Type has a name (mime/part_info.hpp).
// Attachment contents are never read, nor other types (images,
// text/calendar...) nor parts in the x-uuencode or x-gzip64 transfer
// encodings; the filename or name of every part that has one is listed.
//
// Errors: none cross this function and nothing throws out of it. parsed is
// false when the text may be incomplete: the structure was broken beyond
// repair (a multipart without any boundary line) or a limit cut something;
// problem then says why in one line (the first problem met). Header fields
// come from a plain scan of the header section either way, so a message that
// cannot be read as MIME stays findable by its headers.
// Thread-safety: safe to call from several threads at once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mime/text_limits.hpp"

namespace mailferry::mime {

struct ExtractedText {
    // Decoded (RFC 2047, raw 8-bit guessed), unfolded, one line each. to and cc
    // join repeated fields with ", "; the others are the first occurrence.
    std::string from, to, cc, subject, date, message_id;
    std::string body;
    std::vector<std::string> attachment_names;  // filename / name parameters, decoded, in order
    bool parsed = true;
    std::string problem;
};

ExtractedText extract_text(std::string_view message, const TextLimits& limits = {});

}  // namespace mailferry::mime
