#include "pipeline/preflight.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"

namespace mailferry::pipeline {
namespace {

constexpr std::string_view kReceiptHeader = "disposition-notification-to:";

size_t header_section_end(std::string_view m) {
    size_t crlf = m.find("\r\n\r\n");
    size_t lf = m.find("\n\n");
    size_t end = std::min(crlf == std::string_view::npos ? m.size() : crlf + 2,
                          lf == std::string_view::npos ? m.size() : lf + 1);
    return std::min(end, m.size());
}

}  // namespace

std::string PreflightFindings::blocking_reason(const net::TargetProfile& profile, uint64_t size,
                                               uint64_t limit) const {
    if (too_big) return "too big: " + std::to_string(size) + " bytes, the limit is " + std::to_string(limit);
    if (long_lines)
        return "a line of " + std::to_string(longest_line) + " bytes, longer than " + profile.name + " accepts (" +
               std::to_string(profile.max_line_length) + ")";
    return "";
}

std::vector<std::string> PreflightFindings::warnings() const {
    std::vector<std::string> w;
    if (eight_bit_headers) w.push_back("raw 8-bit bytes in the header");
    if (no_message_id) w.push_back("no Message-ID");
    if (no_date) w.push_back("no Date");
    if (read_receipt) w.push_back("asks for a read receipt (Disposition-Notification-To)");
    return w;
}

PreflightFindings inspect_message(std::string_view m, const net::TargetProfile& profile, uint64_t size_limit) {
    PreflightFindings f;
    f.too_big = size_limit > 0 && m.size() > size_limit;
    // find() is memchr: this runs over every byte of every message replayed.
    for (size_t start = 0; start <= m.size();) {
        size_t eol = m.find('\n', start);
        size_t end = eol == std::string_view::npos ? m.size() : eol;
        size_t len = end - start;
        if (len > 0 && m[end - 1] == '\r') --len;
        f.longest_line = std::max(f.longest_line, len);
        if (eol == std::string_view::npos) break;
        start = eol + 1;
    }
    f.long_lines = profile.max_line_length > 0 && f.longest_line > profile.max_line_length;
    std::string_view header = m.substr(0, header_section_end(m));
    f.eight_bit_headers = std::any_of(header.begin(), header.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    bool has_id = false, has_date = false;
    size_t pos = 0;
    while (pos < header.size()) {
        size_t eol = header.find('\n', pos);
        std::string_view line = header.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        has_id |= ascii::istarts_with(line, "message-id:");
        has_date |= ascii::istarts_with(line, "date:");
        f.read_receipt |= ascii::istarts_with(line, kReceiptHeader);
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
    f.no_message_id = !has_id;
    f.no_date = !has_date;
    return f;
}

// True when m already is what IMAP wants: every LF after a CR, every CR
// before an LF, no NUL. Most messages are, and then they are copied as a whole.
bool already_wire_form(std::string_view m) {
    if (m.find('\0') != std::string_view::npos) return false;
    for (size_t pos = m.find('\n'); pos != std::string_view::npos; pos = m.find('\n', pos + 1))
        if (pos == 0 || m[pos - 1] != '\r') return false;
    for (size_t pos = m.find('\r'); pos != std::string_view::npos; pos = m.find('\r', pos + 1))
        if (pos + 1 >= m.size() || m[pos + 1] != '\n') return false;
    return true;
}

WireMessage to_wire(std::string_view m, bool disarm_receipts) {
    WireMessage w;
    if (!disarm_receipts && already_wire_form(m)) {
        w.bytes.assign(m);
        return w;
    }
    w.bytes.reserve(m.size() + m.size() / 32 + 2);
    size_t header_end = header_section_end(m);
    bool at_line_start = true;
    for (size_t i = 0; i < m.size(); ++i) {
        char c = m[i];
        if (disarm_receipts && at_line_start && i < header_end && ascii::istarts_with(m.substr(i), kReceiptHeader)) {
            w.bytes += "X-Mailferry-Disarmed-";  // the header stays visible, but inert
            w.receipt_disarmed = true;
        }
        at_line_start = false;
        if (c == '\0') {
            ++w.nul_removed;
            continue;
        }
        if (c == '\r') {
            w.bytes += "\r\n";
            if (i + 1 < m.size() && m[i + 1] == '\n') ++i;
            else ++w.line_endings_repaired;
            at_line_start = true;
            continue;
        }
        if (c == '\n') {
            w.bytes += "\r\n";
            ++w.line_endings_repaired;
            at_line_start = true;
            continue;
        }
        w.bytes += c;
    }
    return w;
}

}  // namespace mailferry::pipeline
