// What a MIME entity's header says about it: its type, its Content-Type and
// Content-Disposition parameters, its transfer encoding, and the rules that
// follow from them (is it an attachment, what is it called). One place for
// these rules, so that the text index and the attachment saver agree on what
// an attachment is.
// Errors: none; nothing throws but std::bad_alloc. Thread-safety: pure.
#pragma once

#include <string>
#include <string_view>

#include "mime/mime_field.hpp"
#include "mime/transfer_encoding.hpp"

namespace mailferry::mime {

struct PartInfo {
    std::string type;  // "text/plain": lowercased, a missing subtype filled in
    MimeField content_type, disposition;
    TransferEncoding encoding = TransferEncoding::identity;

    // type is main/anything: is("multipart").
    bool is(std::string_view main) const;
    bool is_embedded_message() const;  // message/rfc822, message/global, message/news
    // Content-Disposition "attachment", or none at all and a Content-Type name.
    bool attachment() const;
    // A text/plain, html, enriched or richtext part that is not an attachment
    // and whose transfer encoding we decode: what a reader sees as the message.
    bool readable_text() const;
    bool html_like() const { return type != "text/plain"; }
    // The Content-Disposition filename, else the Content-Type name: RFC 2231
    // and RFC 2047 decoded, UTF-8, one line, at most kMaxNameBytes. Not a safe
    // file name: it may hold '/', "..", anything. Empty when there is none.
    std::string file_name() const;
};

constexpr size_t kMaxNameBytes = 1024;

// The first Content-Type, Content-Disposition and Content-Transfer-Encoding
// of a header section; default_type when there is no Content-Type.
PartInfo read_part_header(std::string_view header, std::string_view default_type);

}  // namespace mailferry::mime
