#include "mime/text_extract.hpp"

#include <exception>
#include <strings.h>

#include "core/ascii.hpp"
#include "mime/charset.hpp"
#include "mime/html_text.hpp"
#include "mime/part_walk.hpp"
#include "mime/rfc2047.hpp"
#include "mime/transfer_encoding.hpp"

namespace mailferry::mime {
namespace {

// Raw bytes of a text part read per byte of text budget left: plain text
// shrinks at most 3 to 1 (quoted-printable "=XX"), HTML is mostly markup.
constexpr size_t kRawPerPlainByte = 4;
constexpr size_t kRawPerHtmlByte = 16;

using ascii::iequals;

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

// The text a reader sees, collected along the shared walk (part_walk.hpp).
class Extractor : public PartWalk {
public:
    Extractor(const TextLimits& limits, ExtractedText& result) : PartWalk(limits), r_(result) {}

    void message(std::string_view raw) {
        walk(raw);
        r_.parsed = parsed();
        r_.problem = problem();
    }

private:
    void on_message_header(std::string_view header) override {
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

    void on_entity(const PartInfo& info) override {
        std::string name = info.file_name();
        if (!name.empty()) r_.attachment_names.push_back(std::move(name));
    }

    void on_leaf(const PartInfo& info, std::string_view body) override {
        if (info.readable_text()) text_part(info, body);
    }

    void on_unsplit(const PartInfo& info, std::string_view body) override {
        text_part(PartInfo{"text/plain", {}, {}, info.encoding}, body);
    }

    // The alternatives hold the same text in different forms: only the one
    // with the most text is kept, since a short one is often a stub ("view
    // this mail in HTML") and keeping all would double the index.
    void alternatives(const std::vector<std::string_view>& parts, size_t depth) override {
        const size_t before = r_.body.size();
        std::string best;
        for (std::string_view part : parts) {
            entity(part, depth + 1, "text/plain");
            if (r_.body.size() - before > best.size()) best.assign(r_.body, before);
            r_.body.resize(before);
        }
        r_.body += best;
    }

    // An embedded message's Subject, From, To and Cc, one line each, so a
    // forwarded message is found by them.
    void on_embedded(const PartInfo&, std::string_view message) override {
        std::string lines;
        for_each_field(split_entity(message, limits().max_header_bytes, Entity::message).header,
                       [&](std::string_view name, std::string_view value) {
                           if (iequals(name, "Subject") || iequals(name, "From") || iequals(name, "To") ||
                               iequals(name, "Cc")) {
                               std::string v = decode_header_text(value);
                               if (!v.empty()) lines += v + "\n";
                           }
                           return true;
                       });
        append_body(lines);
    }

    void text_part(const PartInfo& info, std::string_view body) {
        if (body_full_) return;
        size_t budget = limits().max_body_bytes - std::min(limits().max_body_bytes, r_.body.size());
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
        size_t room = limits().max_body_bytes - std::min(limits().max_body_bytes, r_.body.size() + separate);
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
        note("text over " + size_text(limits().max_body_bytes) + ": cut");
    }

    ExtractedText& r_;
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
