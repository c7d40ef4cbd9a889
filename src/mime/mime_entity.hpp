// The structure of a raw MIME entity, found without copying: its header
// section, its header fields, its body, and the parts of a multipart body.
//
// Our own splitter, not mimetic's parser: mimetic recurses once per nesting
// level without a limit (a 3 MB message of nested multiparts overflows the
// stack: SIGSEGV, no exception to catch), finds a boundary anywhere inside a
// line (so a line quoting "--boundary" splits a text part in two), and its
// parameter parser splits quoted values at ';'. Here every function is
// iterative, bounded by the caller's limits, and works on string_views into the
// caller's bytes (which must outlive the views).
// Line ends: LF or CRLF, mixed freely. Errors: none; nothing throws.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace mailferry::mime {

struct EntityView {
    std::string_view header;  // the header section, without the empty line that ends it
    std::string_view body;
    bool header_complete = true;  // false: no end of the header section within the limit
};

// Splits at the first empty line. For a message (not a part), an mbox "From "
// line before the first field is skipped. A line that cannot be a header field (no ':' after a name of
// printable ASCII) ends the header section early and starts the body, as a
// missing empty line does in real mail; a message that starts with such a
// line has no header at all. Only max_header bytes are searched: past them,
// header is those bytes, body is empty and header_complete is false.
enum class Entity { message, part };
EntityView split_entity(std::string_view raw, size_t max_header, Entity kind = Entity::part);

// Each field of a header section, in order: fn(name, value) with the value as
// raw as it stands (folding line breaks included; decode_header_text and
// parse_mime_field treat them as blanks). Names are not case-folded.
// fn returns false to stop.
template <typename Fn>
void for_each_field(std::string_view header, Fn&& fn);

struct Multipart {
    std::vector<std::string_view> parts;  // each part: its header section and body
    bool boundary_found = false;          // false: no line "--boundary" at all
    bool closed = false;                  // the closing "--boundary--" line was seen
    bool too_many = false;                // more than max_parts delimiters: the rest is dropped
};

// The parts of a multipart body (RFC 2046 §5.1.1): a delimiter is a line that
// starts with "--" boundary, then optionally "--" (the close), then only
// blanks. The line break before a delimiter belongs to it. The preamble and
// epilogue are not parts. A body without its closing delimiter ends its last
// part at the end of the data (truncated mail is common). An empty boundary
// (boundary="", gmime's torture test) makes lines "--" delimiters.
Multipart split_multipart(std::string_view body, std::string_view boundary, size_t max_parts);

// For a multipart without a usable boundary parameter: the boundary its first
// delimiter-like line ("--" then 1..200 characters without blanks, followed by
// a header field or an empty line) suggests, or empty.
std::string_view guess_boundary(std::string_view body);

// --- implementation of the template ---

namespace detail {
// The next field starting at pos: [name_begin, name_end) and [value_begin,
// value_end); returns false at the end. pos moves past the field.
bool next_field(std::string_view header, size_t& pos, std::string_view& name, std::string_view& value);
}  // namespace detail

template <typename Fn>
void for_each_field(std::string_view header, Fn&& fn) {
    size_t pos = 0;
    std::string_view name, value;
    while (detail::next_field(header, pos, name, value))
        if (!fn(name, value)) return;
}

}  // namespace mailferry::mime
