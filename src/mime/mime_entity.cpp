#include "mime/mime_entity.hpp"

#include <cstring>
#include <string>

namespace mailferry::mime {
namespace {

// RFC 2046 allows 70 characters; mime4j's tests use 7,000. The header limit bounds it anyway.
constexpr size_t kMaxBoundary = 64 * 1024;
constexpr size_t kGuessScanBytes = 64 * 1024;
constexpr size_t kMaxGuessedBoundary = 200;

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// The end of the line starting at pos (the index of its '\n', or end), searched
// no further than limit.
size_t line_end(std::string_view s, size_t pos, size_t limit) {
    limit = std::min(limit, s.size());
    if (pos >= limit) return limit;
    const void* nl = std::memchr(s.data() + pos, '\n', limit - pos);
    return nl ? static_cast<size_t>(static_cast<const char*>(nl) - s.data()) : limit;
}

std::string_view without_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

// "Name:" or "Name :" with a name of printable ASCII.
bool is_field_line(std::string_view line) {
    size_t i = 0;
    while (i < line.size() && line[i] > 32 && line[i] < 127 && line[i] != ':') ++i;
    if (i == 0) return false;
    while (i < line.size() && is_blank(line[i])) ++i;
    return i < line.size() && line[i] == ':';
}

}  // namespace

EntityView split_entity(std::string_view raw, size_t max_header, Entity kind) {
    size_t begin = 0;
    if (kind == Entity::message && raw.substr(0, 5) == "From ")
        begin = std::min(line_end(raw, 0, raw.size()) + 1, raw.size());  // an mbox From_ line
    const size_t window = begin + std::min(max_header, raw.size() - begin);
    const EntityView incomplete{raw.substr(begin, window - begin), {}, false};
    auto header = [&](size_t end) {  // up to the line break of its last field
        if (end > begin && raw[end - 1] == '\n') --end;
        if (end > begin && raw[end - 1] == '\r') --end;
        return raw.substr(begin, end - begin);
    };
    size_t pos = begin;
    while (pos < raw.size()) {
        if (pos >= window) return incomplete;
        size_t eol = line_end(raw, pos, window);
        std::string_view line = without_cr(raw.substr(pos, eol - pos));
        bool continuation = !line.empty() && is_blank(line[0]) && pos > begin;
        if (eol == window && eol < raw.size())  // the line runs past the limit: a field, or the body
            return continuation || is_field_line(line) ? incomplete : EntityView{header(pos), raw.substr(pos), true};
        if (line.empty()) return {header(pos), raw.substr(std::min(eol + 1, raw.size())), true};
        if (!continuation && !is_field_line(line)) return {header(pos), raw.substr(pos), true};
        pos = eol + 1;
    }
    return {raw.substr(begin), {}, true};  // only a header section
}

namespace detail {

bool next_field(std::string_view header, size_t& pos, std::string_view& name, std::string_view& value) {
    while (pos < header.size()) {
        size_t eol = line_end(header, pos, header.size());
        std::string_view line = header.substr(pos, eol - pos);
        size_t colon = line.find(':');
        if (line.empty() || is_blank(line[0]) || colon == std::string_view::npos) {
            pos = eol + 1;  // a stray continuation or a line that is no field
            continue;
        }
        name = line.substr(0, colon);
        while (!name.empty() && is_blank(name.back())) name.remove_suffix(1);
        size_t value_begin = pos + colon + 1;
        while (eol + 1 < header.size() && is_blank(header[eol + 1])) eol = line_end(header, eol + 1, header.size());
        size_t value_end = eol;
        if (value_end > value_begin && header[value_end - 1] == '\r') --value_end;
        value = header.substr(value_begin, value_end - value_begin);
        pos = eol + 1;
        return true;
    }
    return false;
}

}  // namespace detail

Multipart split_multipart(std::string_view body, std::string_view boundary, size_t max_parts) {
    Multipart m;
    if (boundary.size() > kMaxBoundary) return m;  // empty is allowed: boundary="" makes "--" lines delimiters
    const std::string delim = "--" + std::string(boundary);
    size_t part_start = std::string_view::npos;
    size_t search = 0;
    while (search < body.size()) {
        const void* hit = memmem(body.data() + search, body.size() - search, delim.data(), delim.size());
        if (!hit) break;
        size_t p = static_cast<size_t>(static_cast<const char*>(hit) - body.data());
        size_t q = p + delim.size();
        bool close = body.substr(q, 2) == "--";
        if (close) q += 2;
        size_t r = q;
        while (r < body.size() && (is_blank(body[r]) || body[r] == '\r')) ++r;
        if ((p > 0 && body[p - 1] != '\n') || (r < body.size() && body[r] != '\n')) {
            search = p + 1;  // inside a line, or followed by more than blanks: not a delimiter
            continue;
        }
        m.boundary_found = true;
        if (part_start != std::string_view::npos) {
            size_t e = p;
            if (e > 0 && body[e - 1] == '\n') --e;
            if (e > 0 && body[e - 1] == '\r') --e;
            e = std::max(e, part_start);
            m.parts.push_back(body.substr(part_start, e - part_start));
            if (m.parts.size() >= max_parts && !close) {
                m.too_many = true;
                return m;
            }
        }
        if (close) {
            m.closed = true;
            return m;
        }
        part_start = std::min(r + 1, body.size());
        search = part_start;
    }
    if (part_start != std::string_view::npos) m.parts.push_back(body.substr(part_start));
    return m;
}

std::string_view guess_boundary(std::string_view body) {
    const size_t limit = std::min(body.size(), kGuessScanBytes);
    size_t pos = 0;
    while (pos < limit) {
        size_t eol = line_end(body, pos, limit);
        std::string_view line = without_cr(body.substr(pos, eol - pos));
        pos = eol + 1;
        if (line.size() < 3 || line.size() > kMaxGuessedBoundary + 2 || line.substr(0, 2) != "--") continue;
        bool blanks = false;
        for (char c : line) blanks = blanks || is_blank(c) || static_cast<unsigned char>(c) < 32;
        if (blanks) continue;
        // A delimiter is followed by a part's header field or the empty line before its body.
        size_t next_eol = line_end(body, pos, body.size());
        std::string_view next = without_cr(body.substr(std::min(pos, body.size()), next_eol - std::min(pos, body.size())));
        if (next.empty() || is_field_line(next)) return line.substr(2);
    }
    return {};
}

}  // namespace mailferry::mime
