// The walk through a message's MIME tree, shared by everything that reads
// its parts (the text for the index, the attachments for review), so that
// they find the same parts under the same limits.
//
// Iterative in breadth, recursive in depth only as far as max_depth (capped
// at kDepthCeiling whatever the caller asks). It finds multiparts with our
// own splitter (mime_entity.hpp), guesses a boundary that the header lost,
// decodes an embedded message sent in base64 or quoted-printable (not
// allowed, but sent), and counts every entity against max_parts. A message
// with CR-only line ends (old Macs) is walked as LF mail.
//
// A subclass overrides the hooks it needs; they are called in message order.
// The string_views handed to a hook point into the message (or into storage
// of the walk) and are valid during the call only.
// Errors: none; parsed() is false when a limit cut something or the structure
// was broken beyond repair, and problem() says why in one line (the first
// problem met). Exceptions from hooks (std::bad_alloc) pass through.
// Thread-safety: one walk per object; distinct objects are independent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_entity.hpp"
#include "mime/part_info.hpp"
#include "mime/text_limits.hpp"

namespace mailferry::mime {

class PartWalk {
public:
    explicit PartWalk(const TextLimits& limits);
    virtual ~PartWalk() = default;
    PartWalk(const PartWalk&) = delete;
    PartWalk& operator=(const PartWalk&) = delete;

    void walk(std::string_view message);
    bool parsed() const { return parsed_; }
    const std::string& problem() const { return problem_; }

protected:
    // The message's own header section (cut at max_header_bytes when too long).
    virtual void on_message_header(std::string_view /*header*/) {}
    // Every entity the walk reads, before what it holds.
    virtual void on_entity(const PartInfo& /*info*/) {}
    // An entity that is neither a multipart nor an embedded message; its body
    // still in its transfer encoding.
    virtual void on_leaf(const PartInfo& /*info*/, std::string_view /*body*/) {}
    // An embedded message (message/rfc822, global, news), its bytes after any
    // transfer encoding, before the walk enters it (within the depth limit).
    virtual void on_embedded(const PartInfo& /*info*/, std::string_view /*message*/) {}
    // A multipart in which no boundary line was found: its body as it stands.
    virtual void on_unsplit(const PartInfo& /*info*/, std::string_view /*body*/) {}
    // The parts of a multipart/alternative at depth; the default walks each.
    virtual void alternatives(const std::vector<std::string_view>& parts, size_t depth);

    // Walks one entity (for alternatives()).
    void entity(std::string_view raw, size_t depth, std::string_view default_type, Entity kind = Entity::part);
    // Records a problem: parsed() becomes false; the first problem is kept.
    void note(std::string problem);
    const TextLimits& limits() const { return limits_; }
    // "64 MiB", "256 KiB", "1000 bytes": for problem lines.
    static std::string size_text(size_t bytes);

private:
    std::string_view with_line_feeds(std::string_view raw);
    void multipart(const PartInfo& info, std::string_view body, size_t depth);
    void embedded(const PartInfo& info, std::string_view body, size_t depth);

    const TextLimits limits_;
    const size_t max_depth_;
    std::string storage_;  // the message with LF line ends, when it came with CR only
    size_t parts_ = 0;
    bool parsed_ = true;
    std::string problem_;
};

}  // namespace mailferry::mime
