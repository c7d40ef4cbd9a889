#include "mime/part_walk.hpp"

#include <algorithm>

namespace mailferry::mime {
namespace {

// Recursion costs a few stack frames per level: whatever a caller asks,
// nesting stays far from the stack's end.
constexpr size_t kDepthCeiling = 200;

}  // namespace

PartWalk::PartWalk(const TextLimits& limits) : limits_(limits), max_depth_(std::min(limits.max_depth, kDepthCeiling)) {}

std::string PartWalk::size_text(size_t bytes) {
    return bytes % (1024 * 1024) == 0 ? std::to_string(bytes / (1024 * 1024)) + " MiB"
           : bytes % 1024 == 0        ? std::to_string(bytes / 1024) + " KiB"
                                      : std::to_string(bytes) + " bytes";
}

void PartWalk::note(std::string problem) {
    if (parsed_) problem_ = std::move(problem);
    parsed_ = false;
}

void PartWalk::walk(std::string_view raw) {
    if (raw.size() > limits_.max_input_bytes) {
        note("message of " + std::to_string(raw.size()) + " bytes: only its first " +
             size_text(limits_.max_input_bytes) + " read");
        raw = raw.substr(0, limits_.max_input_bytes);
    }
    raw = with_line_feeds(raw);
    EntityView top = split_entity(raw, limits_.max_header_bytes, Entity::message);
    on_message_header(top.header);
    if (!top.header_complete) return note("header section over " + size_text(limits_.max_header_bytes));
    entity(raw, 0, "text/plain", Entity::message);
}

// Mail with CR-only line ends (old Macs) becomes LF mail: every scan here splits at LF.
std::string_view PartWalk::with_line_feeds(std::string_view raw) {
    std::string_view head = raw.substr(0, limits_.max_header_bytes);
    if (head.find('\n') != std::string_view::npos || head.find('\r') == std::string_view::npos) return raw;
    storage_.assign(raw);
    std::replace(storage_.begin(), storage_.end(), '\r', '\n');
    return storage_;
}

void PartWalk::entity(std::string_view raw, size_t depth, std::string_view default_type, Entity kind) {
    if (++parts_ > limits_.max_parts) return note("more than " + std::to_string(limits_.max_parts) + " MIME parts");
    EntityView e = split_entity(raw, limits_.max_header_bytes, kind);
    if (!e.header_complete) return note("part header over " + size_text(limits_.max_header_bytes));
    PartInfo info = read_part_header(e.header, default_type);
    on_entity(info);
    if (info.is("multipart")) multipart(info, e.body, depth);
    else if (info.is_embedded_message()) embedded(info, e.body, depth);
    else on_leaf(info, e.body);
}

void PartWalk::multipart(const PartInfo& info, std::string_view body, size_t depth) {
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
        return on_unsplit(info, body);
    }
    if (m.too_many) note("more than " + std::to_string(limits_.max_parts) + " MIME parts");
    if (info.type == "multipart/alternative") return alternatives(m.parts, depth);
    std::string_view child_type = info.type == "multipart/digest" ? "message/rfc822" : "text/plain";
    for (std::string_view part : m.parts) entity(part, depth + 1, child_type);
}

void PartWalk::alternatives(const std::vector<std::string_view>& parts, size_t depth) {
    for (std::string_view part : parts) entity(part, depth + 1, "text/plain");
}

void PartWalk::embedded(const PartInfo& info, std::string_view body, size_t depth) {
    if (depth + 1 > max_depth_) return note("MIME nesting deeper than " + std::to_string(max_depth_));
    std::string decoded;  // base64 or quoted-printable message/rfc822: not allowed, but sent
    if (info.encoding == TransferEncoding::base64) append_base64_decoded(body, decoded);
    if (info.encoding == TransferEncoding::quoted_printable) append_qp_decoded(body, decoded);
    if (!decoded.empty()) body = decoded;
    on_embedded(info, body);
    entity(body, depth + 1, "text/plain", Entity::message);
}

}  // namespace mailferry::mime
