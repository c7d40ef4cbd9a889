#include "formats/mbox/mbox_headers.hpp"

#include <algorithm>

#include "core/ascii.hpp"

namespace mailferry::mbox {
namespace {

constexpr size_t max_header_bytes = 256 * 1024;

using ascii::lower;

using ascii::iequals;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

// RFC 5322 unfolding: drop the line breaks, keep the blanks after them.
std::string unfold(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (char c : trim(raw))
        if (c != '\r' && c != '\n') out += c;
    return out;
}

// Calls fn(name, raw value) for each header field, the value running over its
// continuation lines. Stops at the first empty line or after max_header_bytes.
template <typename Fn>
void for_each_field(std::string_view msg, Fn&& fn) {
    msg = msg.substr(0, std::min(msg.size(), max_header_bytes));
    std::string_view name;
    size_t value_from = 0, value_to = 0;
    bool open = false;
    auto flush = [&] {
        if (open) fn(name, msg.substr(value_from, value_to - value_from));
        open = false;
    };
    size_t i = 0;
    while (i < msg.size()) {
        size_t nl = msg.find('\n', i);
        size_t end = nl == std::string_view::npos ? msg.size() : nl;
        size_t next = nl == std::string_view::npos ? msg.size() : nl + 1;
        std::string_view line = msg.substr(i, end - i);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if (is_wsp(line.front())) {
            if (open) value_to = end;
        } else {
            flush();
            size_t colon = line.find(':');
            if (colon != std::string_view::npos && colon > 0) {
                name = line.substr(0, colon);
                while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
                value_from = i + colon + 1;
                value_to = end;
                open = true;
            }
        }
        i = next;
    }
    flush();
}

std::optional<uint64_t> parse_length(std::string_view v) {
    v = trim(v);
    if (v.empty() || v.size() > 18) return std::nullopt;
    uint64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    return n;
}

void add_keywords(Flags& flags, std::string_view v) {
    size_t i = 0;
    auto separator = [](char c) { return c == ',' || is_wsp(c) || c == '\r' || c == '\n'; };
    while (i < v.size()) {
        while (i < v.size() && separator(v[i])) ++i;
        size_t from = i;
        while (i < v.size() && !separator(v[i])) ++i;
        if (i > from) flags.add_imap(v.substr(from, i - from));
    }
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

// The address in "Name <addr>" or "addr (comment)"; "" when none is usable.
std::string address_of(std::string_view v) {
    v = trim(v);
    size_t lt = v.find('<');
    if (lt != std::string_view::npos) {
        size_t gt = v.find('>', lt);
        v = v.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
    } else {
        v = v.substr(0, v.find_first_of("(,"));  // a comment, a second address
    }
    v = trim(v);
    for (char c : v) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return "";
    }
    return std::string(v);
}

}  // namespace

MboxHeaders parse_mbox_headers(std::string_view message) {
    MboxHeaders h;
    bool x_imap = false, internal_subject = false;
    for_each_field(message, [&](std::string_view name, std::string_view value) {
        if (iequals(name, "Content-Length")) {
            if (!h.content_length) h.content_length = parse_length(value);
        } else if (iequals(name, "Status")) {
            for (char c : value) {
                if (c == 'R') h.flags.seen = true;
                if (c == 'O') h.old = true;
            }
        } else if (iequals(name, "X-Status")) {
            for (char c : value) {
                if (c == 'A') h.flags.answered = true;
                if (c == 'F') h.flags.flagged = true;
                if (c == 'T') h.flags.draft = true;
                if (c == 'D') h.flags.deleted = true;
            }
        } else if (iequals(name, "X-Keywords")) {
            add_keywords(h.flags, value);
        } else if (iequals(name, "X-Gmail-Labels")) {
            if (!h.gmail_labels) h.gmail_labels = unfold(value);
        } else if (iequals(name, "X-IMAP")) {
            x_imap = true;
        } else if (iequals(name, "Subject")) {
            internal_subject = internal_subject || contains(value, "FOLDER INTERNAL DATA");
        }
    });
    h.folder_internal_data = x_imap && internal_subject;
    return h;
}

size_t header_section_size(std::string_view message) {
    size_t i = 0;
    while (i < message.size()) {
        size_t nl = message.find('\n', i);
        if (nl == std::string_view::npos) return std::string_view::npos;
        if (nl == i || (nl == i + 1 && message[i] == '\r')) return nl + 1;
        i = nl + 1;
    }
    return std::string_view::npos;
}

std::optional<std::string> header_value(std::string_view message, std::string_view name) {
    std::optional<std::string> out;
    for_each_field(message, [&](std::string_view n, std::string_view v) {
        if (!out && iequals(n, name)) out = unfold(v);
    });
    return out;
}

std::string envelope_sender(std::string_view message) {
    if (auto rp = header_value(message, "Return-Path")) {
        std::string_view v = trim(*rp);
        if (v == "<>") return "MAILER-DAEMON";
        std::string a = address_of(v);
        if (!a.empty()) return a;
    }
    if (auto from = header_value(message, "From")) return address_of(*from);
    return "";
}

bool looks_like_header_line(std::string_view line) {
    size_t i = 0;
    while (i < line.size()) {
        auto c = static_cast<unsigned char>(line[i]);
        if (c == ':') return i > 0;
        if (c <= 0x20 || c >= 0x7f) break;
        ++i;
    }
    if (i == 0) return false;
    while (i < line.size() && is_wsp(line[i])) ++i;
    return i < line.size() && line[i] == ':';
}

}  // namespace mailferry::mbox
