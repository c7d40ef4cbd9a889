#include "pipeline/long_line_repair.hpp"

#include <cctype>
#include <vector>

#include "core/ascii.hpp"

namespace mailferry::pipeline {
namespace {

constexpr int kMaxDepth = 20;

bool has_long_line(std::string_view s, size_t limit) {
    size_t start = 0;
    while (start <= s.size()) {
        size_t eol = s.find("\r\n", start);
        size_t end = eol == std::string_view::npos ? s.size() : eol;
        if (end - start > limit) return true;
        if (eol == std::string_view::npos) break;
        start = eol + 2;
    }
    return false;
}

using ascii::lower;

// The value of a header field in an unfolded header block, lower-cased ("" if absent).
std::string field(std::string_view header, std::string_view name) {
    std::string h = lower(header);
    std::string key = "\n" + lower(name) + ":";
    size_t pos = ("\n" + h).find(key);
    if (pos == std::string::npos) return "";
    size_t start = pos + key.size() - 1;
    std::string value;
    size_t i = start;
    while (i < h.size()) {
        size_t eol = h.find("\r\n", i);
        if (eol == std::string::npos) eol = h.size();
        value += h.substr(i, eol - i);
        i = eol + 2;
        if (i >= h.size() || (h[i] != ' ' && h[i] != '\t')) break;
    }
    return value;
}

// The boundary parameter of a Content-Type value, quotes removed, case kept.
std::string boundary_of(std::string_view header) {
    std::string ct_lower = field(header, "content-type");
    size_t pos = ct_lower.find("boundary=");
    if (pos == std::string::npos) return "";
    // Re-read the original case from the header: boundaries are case-sensitive.
    std::string original(header);
    std::string lowered = lower(original);
    size_t at = lowered.find("boundary=", lowered.find("content-type:"));
    if (at == std::string::npos) return "";
    at += 9;
    std::string b;
    if (at < original.size() && original[at] == '"') {
        size_t close = original.find('"', at + 1);
        b = original.substr(at + 1, close == std::string::npos ? std::string::npos : close - at - 1);
    } else {
        size_t end = original.find_first_of("; \t\r\n", at);
        b = original.substr(at, end == std::string::npos ? std::string::npos : end - at);
    }
    return b;
}

// Folds header lines longer than limit at white space. false, with header and
// folded untouched, if one cannot be folded: the count reports folds made.
// The line is a view moved along, not a copy cut shorter each time: a header
// line of megabytes costs one pass, not one copy per fold.
bool fold_header(std::string& header, size_t limit, int& folded) {
    std::string out;
    int folds = 0;
    size_t start = 0;
    while (start < header.size()) {
        size_t eol = header.find("\r\n", start);
        size_t end = eol == std::string::npos ? header.size() : eol;
        std::string_view line = std::string_view(header).substr(start, end - start);
        while (line.size() > limit) {
            size_t cut = line.find_last_of(" \t", limit);
            if (cut == std::string_view::npos || cut == 0) return false;
            out.append(line.substr(0, cut));
            out += "\r\n";
            line.remove_prefix(cut);  // the white space starts the continuation line
            ++folds;
        }
        out.append(line);
        if (eol != std::string::npos) out += "\r\n";
        start = end + 2;
    }
    header = std::move(out);
    folded += folds;
    return true;
}

std::string set_transfer_encoding(const std::string& header, const std::string& cte) {
    std::string lowered = lower(header);
    std::string out;
    size_t start = 0;
    bool replaced = false;
    while (start < header.size()) {
        size_t eol = header.find("\r\n", start);
        size_t end = eol == std::string::npos ? header.size() : eol + 2;
        bool is_cte = lowered.compare(start, 26, "content-transfer-encoding:") == 0;
        if (is_cte) {
            out += "Content-Transfer-Encoding: " + cte + "\r\n";
            replaced = true;
            start = end;
            while (start < header.size() && (header[start] == ' ' || header[start] == '\t')) {
                size_t e2 = header.find("\r\n", start);
                start = e2 == std::string::npos ? header.size() : e2 + 2;
            }
            continue;
        }
        out += header.substr(start, end - start);
        start = end;
    }
    if (!replaced) {
        if (!out.empty() && out.size() >= 2 && out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
        out += "Content-Transfer-Encoding: " + cte + "\r\n";
    }
    return out;
}

void repair_entity(std::string_view entity, size_t limit, int depth, LongLineRepair& r, std::string& out);

void repair_leaf(std::string header, std::string_view body, size_t limit, LongLineRepair& r, std::string& out) {
    if (!has_long_line(body, limit)) {
        out += header + "\r\n";
        out.append(body);
        return;
    }
    std::string cte = field(header, "content-transfer-encoding");
    std::string type = field(header, "content-type");
    bool text = type.empty() || type.find("text/") != std::string::npos;
    std::string encoded;
    if (cte.find("base64") != std::string::npos) {
        std::string raw;  // already base64: only the line breaks change
        for (char c : body)
            if (!std::isspace(static_cast<unsigned char>(c))) raw += c;
        for (size_t i = 0; i < raw.size(); i += 76) encoded += raw.substr(i, 76) + "\r\n";
        header = set_transfer_encoding(header, "base64");
    } else if (text && cte.find("quoted-printable") == std::string::npos) {
        encoded = encode_quoted_printable(body);
        header = set_transfer_encoding(header, "quoted-printable");
    } else if (cte.find("quoted-printable") != std::string::npos) {
        r.failure = "a quoted-printable part has a line longer than " + std::to_string(limit) + " bytes";
        encoded = std::string(body);
    } else {
        encoded = encode_base64_lines(body);
        header = set_transfer_encoding(header, "base64");
    }
    ++r.parts_reencoded;
    out += header + "\r\n" + encoded;
}

// A piece no part holds (preamble, delimiter line, epilogue), kept as it is:
// a long line there cannot be re-encoded, so it is a failure, not a repair.
void copy_outside_parts(std::string_view piece, size_t limit, LongLineRepair& r, std::string& out) {
    out.append(piece);
    if (has_long_line(piece, limit)) r.failure = "a long line outside the parts of a multipart body";
}

void repair_multipart(std::string_view body, const std::string& boundary, size_t limit, int depth,
                      LongLineRepair& r, std::string& out) {
    const std::string delim = "--" + boundary;
    // Positions of delimiter lines: at the start, or after CRLF.
    size_t pos = 0;
    std::vector<size_t> marks;
    while ((pos = body.find(delim, pos)) != std::string_view::npos) {
        if (pos == 0 || (pos >= 2 && body.compare(pos - 2, 2, "\r\n") == 0)) marks.push_back(pos);
        pos += delim.size();
    }
    if (marks.empty()) {  // no parts found: leave the body as it is
        out.append(body);
        if (has_long_line(body, limit)) r.failure = "a multipart body without its boundary has long lines";
        return;
    }
    copy_outside_parts(body.substr(0, marks[0]), limit, r, out);  // preamble
    for (size_t i = 0; i < marks.size(); ++i) {
        size_t line_end = body.find("\r\n", marks[i]);
        if (line_end == std::string_view::npos) {
            copy_outside_parts(body.substr(marks[i]), limit, r, out);
            return;
        }
        copy_outside_parts(body.substr(marks[i], line_end + 2 - marks[i]), limit, r, out);  // the delimiter line
        bool closing = body.compare(marks[i] + delim.size(), 2, "--") == 0;
        size_t part_start = line_end + 2;
        size_t part_end = i + 1 < marks.size() ? marks[i + 1] - 2 : body.size();
        if (closing || part_end < part_start) {  // epilogue, or nothing between two delimiters
            size_t next = i + 1 < marks.size() ? marks[i + 1] : body.size();
            copy_outside_parts(body.substr(part_start, next - part_start), limit, r, out);
            continue;
        }
        repair_entity(body.substr(part_start, part_end - part_start), limit, depth + 1, r, out);
        if (i + 1 < marks.size()) out += "\r\n";
    }
}

void repair_entity(std::string_view entity, size_t limit, int depth, LongLineRepair& r, std::string& out) {
    size_t split = entity.find("\r\n\r\n");
    if (split == std::string_view::npos || depth > kMaxDepth) {  // no body, or too deep to trust
        out.append(entity);
        if (has_long_line(entity, limit)) r.failure = "a long line outside any part that can be re-encoded";
        return;
    }
    std::string header(entity.substr(0, split + 2));
    std::string_view body = entity.substr(split + 4);
    if (has_long_line(header, limit) && !fold_header(header, limit, r.headers_folded))
        r.failure = "a header line longer than " + std::to_string(limit) + " bytes without white space to fold at";
    std::string type = field(header, "content-type");
    std::string boundary = type.find("multipart/") != std::string::npos ? boundary_of(header) : "";
    if (!boundary.empty()) {
        out += header + "\r\n";
        repair_multipart(body, boundary, limit, depth, r, out);
    } else if (type.find("message/rfc822") != std::string::npos) {
        out += header + "\r\n";
        repair_entity(body, limit, depth + 1, r, out);
    } else {
        repair_leaf(header, body, limit, r, out);
    }
}

}  // namespace

std::string encode_quoted_printable(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    size_t col = 0;
    auto emit = [&](const std::string& token) {
        if (col + token.size() > 75) {  // leave room for the soft break's '='
            out += "=\r\n";
            col = 0;
        }
        out += token;
        col += token.size();
    };
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            out += "\r\n";
            col = 0;
            ++i;
            continue;
        }
        bool at_line_end = i + 1 == text.size() || text[i + 1] == '\r';
        bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
        emit(literal ? std::string(1, static_cast<char>(c)) : std::string{'=', hex[c >> 4], hex[c & 15]});
    }
    return out;
}

std::string encode_base64_lines(std::string_view data) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string line, out;
    for (size_t i = 0; i < data.size(); i += 3) {
        uint32_t v = static_cast<unsigned char>(data[i]) << 16;
        if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
        if (i + 2 < data.size()) v |= static_cast<unsigned char>(data[i + 2]);
        line += alphabet[(v >> 18) & 63];
        line += alphabet[(v >> 12) & 63];
        line += i + 1 < data.size() ? alphabet[(v >> 6) & 63] : '=';
        line += i + 2 < data.size() ? alphabet[v & 63] : '=';
        if (line.size() >= 76) {
            out += line + "\r\n";
            line.clear();
        }
    }
    if (!line.empty()) out += line + "\r\n";
    return out;
}

LongLineRepair repair_long_lines(std::string_view message, size_t limit) {
    LongLineRepair r;
    repair_entity(message, limit, 0, r, r.bytes);
    return r;
}

}  // namespace mailferry::pipeline
