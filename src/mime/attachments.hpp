// The attachments of a raw message, decoded, for a reviewer to save them as
// files (mailferry show --save-attachments).
//
// Found along the same walk as the text for the index (part_walk.hpp), under
// the same limits, and by the same rules (part_info.hpp). A part is handed out
// when it is
//  - an attachment (Content-Disposition "attachment", or none and a
//    Content-Type name), or any part with a filename or name, inline ones
//    included (images of an HTML mail): every name `show` lists is a file;
//  - a part that is not readable text and not a container (an unnamed image,
//    application/octet-stream, text/calendar, a part in x-uuencode), unless
//    its body is empty or blank: the reader would see nothing of it otherwise;
//  - an embedded message (message/rfc822) that is an attachment or has a
//    name: its whole bytes, named by its filename, else its Subject + ".eml".
//    Its own attachments are handed out as well, after it.
// Text a reader sees as the message (text/plain, text/html parts that are not
// attachments) and containers (multipart) are not attachments.
//
// Content: the part's body after its Content-Transfer-Encoding (base64,
// quoted-printable; 7bit, 8bit and binary as they stand). x-uuencode,
// x-gzip64 and binhex are not decoded: such a part comes as it stands, with
// decoded = false. A message with CR-only line ends is read as LF mail (part
// bytes included).
//
// Memory: one decoded part at a time (the message itself is the caller's).
// Errors: none; nothing throws out of for_each_attachment. parsed is false
// when a limit cut something or the structure was broken beyond repair
// (attachments may then be missing), problem says why in one line.
// Thread-safety: safe to call from several threads at once.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "mime/part_info.hpp"  // kMaxNameBytes
#include "mime/text_limits.hpp"

namespace mailferry::mime {

struct Attachment {
    // As the message gives it, decoded (RFC 2231, RFC 2047) to one line of
    // UTF-8, at most kMaxNameBytes: NOT a safe file name (it may hold '/',
    // "..", anything). Empty when the part has no name.
    std::string name;
    std::string content_type;  // "application/pdf": lowercased
    std::string_view bytes;    // the content; valid during the call only
    bool decoded = true;       // false: a transfer encoding not decoded here, bytes as sent
};

struct AttachmentScan {
    size_t found = 0;  // attachments handed out
    bool parsed = true;
    std::string problem;
};

// The limits for attachments: those of the text, but the whole message is
// read (the cache holds messages of up to 256 MiB).
TextLimits attachment_limits();

// Calls fn for each attachment, in message order; fn returns false to stop.
// An exception from fn ends the walk, and problem says so.
AttachmentScan for_each_attachment(std::string_view message, const std::function<bool(const Attachment&)>& fn,
                                   const TextLimits& limits = attachment_limits());

}  // namespace mailferry::mime
