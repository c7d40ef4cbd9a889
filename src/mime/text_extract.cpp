#include "mime/text_extract.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <strings.h>

#include "mime/charset.hpp"
#include "mime/html_text.hpp"
#include "mime/mime_entity.hpp"
#include "mime/mime_field.hpp"
#include "mime/rfc2047.hpp"
#include "mime/transfer_encoding.hpp"

namespace mailferry::mime {
namespace {

// Raw bytes of a text part read per byte of text budget left: plain text
// shrinks at most 3 to 1 (quoted-printable "=XX"), HTML is mostly markup.
constexpr size_t kRawPerPlainByte = 4;
constexpr size_t kRawPerHtmlByte = 16;
// Recursion costs a few stack frames per level: whatever a caller asks,
// nesting stays far from the stack's end.
constexpr size_t kDepthCeiling = 200;
constexpr size_t kMaxNameBytes = 1024;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string mib(size_t bytes) {
    return bytes % (1024 * 1024) == 0 ? std::to_string(bytes / (1024 * 1024)) + " MiB"
           : bytes % 1024 == 0        ? std::to_string(bytes / 1024) + " KiB"
                                      : std::to_string(bytes) + " bytes";
}

struct PartInfo {
    std::string type;  // "text/plain": lowercased
    MimeField content_type, disposition;
    TransferEncoding encoding = TransferEncoding::identity;

    bool is(std::string_view main) const { return type.compare(0, main.size(), main) == 0 && type.size() > main.size() && type[main.size()] == '/'; }
    bool attachment() const {
        if (disposition.value == "attachment") return true;
        return disposition.value.empty() && content_type.param("name") != nullptr;
    }
    bool readable_text() const {
        return (type == "text/plain" || type == "text/html" || type == "text/enriched" || type == "text/richtext") &&
               !attachment() && encoding != TransferEncoding::unreadable;
    }
    bool html_like() const { return type != "text/plain"; }
};

// "text" -> "text/plain": a type without its subtype gets the usual one.
std::string full_type(const std::string& value, std::string_view default_type) {
    if (value.find('/') != std::string::npos) return value;
    if (value == "text") return "text/plain";
    if (value == "multipart") return "multipart/mixed";
    if (value == "message") return "message/rfc822";
    return std::string(default_type);
}

PartInfo read_part_header(std::string_view header, std::string_view default_type) {
    PartInfo info;
    bool have_type = false, have_disposition = false, have_encoding = false;
    for_each_field(header, [&](std::string_view name, std::string_view value) {
        if (!have_type && iequals(name, "Content-Type")) {
            info.content_type = parse_mime_field(value);
            have_type = true;
        } else if (!have_disposition && iequals(name, "Content-Disposition")) {
            info.disposition = parse_mime_field(value);
            have_disposition = true;
        } else if (!have_encoding && iequals(name, "Content-Transfer-Encoding")) {
            info.encoding = transfer_encoding_of(value);
            have_encoding = true;
        }
        return true;
    });
    info.type = have_type ? full_type(info.content_type.value, default_type) : std::string(default_type);
    return info;
}

// Appends text with CRLF and lone CR as LF, other control characters (but
// tab and form feed) as spaces.
void append_clean(std::string_view text, std::string& out) {
    out.reserve(out.size() + text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 || c == '\n' || c == '\t') out += c;
        else if (c == '\r') {
            if (i + 1 >= text.size() || text[i + 1] != '\n') out += '\n';
        } else if (u != 0) {
            out += ' ';
        }
    }
}

class Extractor {
public:
    Extractor(const TextLimits& limits, ExtractedText& result)
        : limits_(limits), max_depth_(std::min(limits.max_depth, kDepthCeiling)), r_(result) {}

    void message(std::string_view raw) {
        if (raw.size() > limits_.max_input_bytes) {
            note("message of " + std::to_string(raw.size()) + " bytes: only its first " + mib(limits_.max_input_bytes) +
                 " read");
            raw = raw.substr(0, limits_.max_input_bytes);
        }
        raw = with_line_feeds(raw);
        EntityView top = split_entity(raw, limits_.max_header_bytes, Entity::message);
        read_top_fields(top.header);
        if (!top.header_complete) return note("header section over " + mib(limits_.max_header_bytes));
        entity(raw, 0, "text/plain", true, Entity::message);
    }

private:
    // Mail with CR-only line ends (old Macs) becomes LF mail: every scan here splits at LF.
    std::string_view with_line_feeds(std::string_view raw) {
        std::string_view head = raw.substr(0, limits_.max_header_bytes);
        if (head.find('\n') != std::string_view::npos || head.find('\r') == std::string_view::npos) return raw;
        storage_.assign(raw);
        std::replace(storage_.begin(), storage_.end(), '\r', '\n');
        return storage_;
    }

    void read_top_fields(std::string_view header) {
        for_each_field(header, [&](std::string_view name, std::string_view value) {
            std::string* target = iequals(name, "From")         ? &r_.from
                                  : iequals(name, "Subject")    ? &r_.subject
                                  : iequals(name, "Date")       ? &r_.date
                                  : iequals(name, "Message-ID") ? &r_.message_id
                                                                : nullptr;
            if (target && target->empty()) *target = decode_header_text(value);
            std::string* list = iequals(name, "To") ? &r_.to : iequals(name, "Cc") ? &r_.cc : nullptr;
            if (list) {
                std::string v = decode_header_text(value);
                if (!v.empty()) *list += (list->empty() ? "" : ", ") + v;
            }
            return true;
        });
    }

    void note(std::string problem) {
        if (r_.parsed) r_.problem = std::move(problem);
        r_.parsed = false;
    }

    void entity(std::string_view raw, size_t depth, std::string_view default_type, bool want_text,
                Entity kind = Entity::part) {
        if (++parts_ > limits_.max_parts) return note("more than " + std::to_string(limits_.max_parts) + " MIME parts");
        EntityView e = split_entity(raw, limits_.max_header_bytes, kind);
        if (!e.header_complete) return note("part header over " + mib(limits_.max_header_bytes));
        PartInfo info = read_part_header(e.header, default_type);
        add_attachment_name(info);
        if (info.is("multipart")) multipart(info, e.body, depth, want_text);
        else if (info.type == "message/rfc822" || info.type == "message/global" || info.type == "message/news")
            embedded(info, e.body, depth, want_text);
        else if (want_text && info.readable_text()) text_part(info, e.body);
    }

    void multipart(const PartInfo& info, std::string_view body, size_t depth, bool want_text) {
        if (depth + 1 > max_depth_) return note("MIME nesting deeper than " + std::to_string(max_depth_));
        const std::string* declared = info.content_type.param("boundary");
        Multipart m;
        if (declared) m = split_multipart(body, *declared, limits_.max_parts);
        if (!m.boundary_found) {  // no boundary parameter, or one the body never uses
            std::string_view guess = guess_boundary(body);
            if (!guess.empty()) m = split_multipart(body, guess, limits_.max_parts);
        }
        if (!m.boundary_found) {
            // An empty body (its parent used the same boundary, or the message ends here) loses nothing.
            if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
            note(declared ? "multipart boundary never found" : "multipart without boundary");
            if (want_text) text_part(PartInfo{"text/plain", {}, {}, info.encoding}, body);
            return;
        }
        if (m.too_many) note("more than " + std::to_string(limits_.max_parts) + " MIME parts");
        std::string_view child_type = info.type == "multipart/digest" ? "message/rfc822" : "text/plain";
        if (info.type == "multipart/alternative" && want_text) return alternatives(m.parts, depth);
        for (std::string_view part : m.parts) entity(part, depth + 1, child_type, want_text);
    }

    // The alternatives hold the same text in different forms: only the one
    // with the most text is kept, since a short one is often a stub ("view
    // this mail in HTML") and keeping all would double the index.
    void alternatives(const std::vector<std::string_view>& parts, size_t depth) {
        const size_t before = r_.body.size();
        std::string best;
        for (std::string_view part : parts) {
            entity(part, depth + 1, "text/plain", true);
            if (r_.body.size() - before > best.size()) best.assign(r_.body, before);
            r_.body.resize(before);
        }
        r_.body += best;
    }

    void embedded(const PartInfo& info, std::string_view body, size_t depth, bool want_text) {
        if (depth + 1 > max_depth_) return note("MIME nesting deeper than " + std::to_string(max_depth_));
        std::string decoded;  // base64 or quoted-printable message/rfc822: not allowed, but sent
        if (info.encoding == TransferEncoding::base64) append_base64_decoded(body, decoded);
        if (info.encoding == TransferEncoding::quoted_printable) append_qp_decoded(body, decoded);
        if (!decoded.empty()) body = decoded;
        if (want_text) embedded_headers(split_entity(body, limits_.max_header_bytes, Entity::message).header);
        entity(body, depth + 1, "text/plain", want_text, Entity::message);
    }

    // An embedded message's Subject, From, To and Cc, one line each, so a
    // forwarded message is found by them.
    void embedded_headers(std::string_view header) {
        std::string lines;
        for_each_field(header, [&](std::string_view name, std::string_view value) {
            if (iequals(name, "Subject") || iequals(name, "From") || iequals(name, "To") || iequals(name, "Cc")) {
                std::string v = decode_header_text(value);
                if (!v.empty()) lines += v + "\n";
            }
            return true;
        });
        append_body(lines);
    }

    void text_part(const PartInfo& info, std::string_view body) {
        if (body_full_) return;
        size_t budget = limits_.max_body_bytes - std::min(limits_.max_body_bytes, r_.body.size());
        size_t raw_cap = budget * (info.html_like() ? kRawPerHtmlByte : kRawPerPlainByte) + 4096;
        bool raw_cut = body.size() > raw_cap;
        if (raw_cut) body = body.substr(0, raw_cap);
        std::string decoded;
        if (info.encoding == TransferEncoding::base64) append_base64_decoded(body, decoded);
        else if (info.encoding == TransferEncoding::quoted_printable) append_qp_decoded(body, decoded);
        std::string_view bytes = info.encoding == TransferEncoding::identity ? body : std::string_view(decoded);
        const std::string* declared = info.content_type.param("charset");
        std::string charset = declared ? *declared : info.html_like() ? html_meta_charset(bytes) : "";
        std::string utf8;
        bool complete = append_utf8(bytes, charset, utf8, info.html_like() ? std::string::npos : budget + 4096);
        std::string text;
        if (info.html_like()) {
            std::string plain;
            append_html_text(utf8, plain);
            append_clean(plain, text);
        } else {
            append_clean(utf8, text);
        }
        append_body(text);
        if (raw_cut || !complete) cut();
    }

    void append_body(std::string_view text) {
        auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f'; };
        while (!text.empty() && blank(text.front())) text.remove_prefix(1);
        while (!text.empty() && blank(text.back())) text.remove_suffix(1);
        if (text.empty() || body_full_) return;
        bool separate = !r_.body.empty() && r_.body.back() != '\n';
        size_t room = limits_.max_body_bytes - std::min(limits_.max_body_bytes, r_.body.size() + separate);
        if (room == 0) return cut();
        if (separate) r_.body += '\n';
        if (text.size() > room) {
            r_.body.append(text.substr(0, utf8_cut(text, room)));
            return cut();
        }
        r_.body.append(text);
    }

    void cut() {
        body_full_ = true;
        note("text over " + mib(limits_.max_body_bytes) + ": cut");
    }

    void add_attachment_name(const PartInfo& info) {
        const std::string* name = info.disposition.param("filename");
        if (!name || name->empty()) name = info.content_type.param("name");
        if (!name || name->empty()) return;
        std::string decoded = decode_header_text(*name);
        decoded.resize(utf8_cut(decoded, kMaxNameBytes));
        if (!decoded.empty()) r_.attachment_names.push_back(std::move(decoded));
    }

    const TextLimits& limits_;
    const size_t max_depth_;
    ExtractedText& r_;
    std::string storage_;  // the message with LF line ends, when it came with CR only
    size_t parts_ = 0;
    bool body_full_ = false;
};

}  // namespace

ExtractedText extract_text(std::string_view message, const TextLimits& limits) {
    ExtractedText result;
    try {
        Extractor(limits, result).message(message);
    } catch (const std::exception& e) {  // std::bad_alloc, in practice
        result.parsed = false;
        result.problem = std::string("text extraction failed: ") + e.what();
    } catch (...) {
        result.parsed = false;
        result.problem = "text extraction failed";
    }
    return result;
}

}  // namespace mailferry::mime
