#include "mime/attachments.hpp"

#include <exception>
#include <strings.h>

#include "mime/part_walk.hpp"
#include "mime/rfc2047.hpp"
#include "mime/transfer_encoding.hpp"

namespace mailferry::mime {
namespace {

bool blank(std::string_view body) { return body.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// The decoded Subject of an embedded message, for the name of its file.
std::string subject_of(std::string_view message, size_t max_header) {
    std::string subject;
    for_each_field(split_entity(message, max_header, Entity::message).header,
                   [&](std::string_view name, std::string_view value) {
                       if (name.size() != 7 || strncasecmp(name.data(), "Subject", 7) != 0) return true;
                       subject = decode_header_text(value);
                       return false;
                   });
    return subject;
}

class AttachmentReader : public PartWalk {
public:
    AttachmentReader(const TextLimits& limits, const std::function<bool(const Attachment&)>& fn)
        : PartWalk(limits), fn_(fn) {}

    size_t found() const { return found_; }

private:
    void on_leaf(const PartInfo& info, std::string_view body) override {
        std::string name = info.file_name();
        bool wanted = !name.empty() || info.attachment() || (!info.readable_text() && !blank(body));
        if (!wanted || stopped_) return;
        content_.clear();
        Attachment a{std::move(name), info.type, body, info.encoding != TransferEncoding::unreadable};
        if (info.encoding == TransferEncoding::base64) append_base64_decoded(body, content_);
        if (info.encoding == TransferEncoding::quoted_printable) append_qp_decoded(body, content_);
        if (info.encoding == TransferEncoding::base64 || info.encoding == TransferEncoding::quoted_printable)
            a.bytes = content_;
        hand_out(a);
        // A large part's buffer is not kept for the next one: memory stays at one part.
        if (content_.capacity() > kKeptCapacity) std::string().swap(content_);
    }

    void on_embedded(const PartInfo& info, std::string_view message) override {
        std::string name = info.file_name();
        if ((name.empty() && !info.attachment()) || stopped_) return;
        if (name.empty()) {
            std::string subject = subject_of(message, limits().max_header_bytes);
            if (!subject.empty()) name = subject + ".eml";
        }
        hand_out(Attachment{std::move(name), info.type, message, true});
    }

    void hand_out(const Attachment& a) {
        ++found_;
        if (!fn_(a)) stopped_ = true;
    }

    static constexpr size_t kKeptCapacity = 1 << 20;
    const std::function<bool(const Attachment&)>& fn_;
    std::string content_;  // the decoded part handed out
    size_t found_ = 0;
    bool stopped_ = false;
};

}  // namespace

TextLimits attachment_limits() {
    TextLimits limits;
    limits.max_input_bytes = size_t{1} << 30;
    return limits;
}

AttachmentScan for_each_attachment(std::string_view message, const std::function<bool(const Attachment&)>& fn,
                                   const TextLimits& limits) {
    AttachmentScan scan;
    AttachmentReader reader(limits, fn);
    try {
        reader.walk(message);
        scan.parsed = reader.parsed();
        scan.problem = reader.problem();
    } catch (const std::exception& e) {  // std::bad_alloc, in practice
        scan.parsed = false;
        scan.problem = std::string("attachment extraction failed: ") + e.what();
    } catch (...) {
        scan.parsed = false;
        scan.problem = "attachment extraction failed";
    }
    scan.found = reader.found();
    return scan;
}

}  // namespace mailferry::mime
