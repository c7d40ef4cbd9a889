// src/mime: the input is one message as cached. Everything the index, the
// fetch and `show --save-attachments` read from it: the full-text extraction,
// the attachments, the plain header scan, the received date, and the header
// decoders on the input as one field value.
// Properties: extract_text's output is strict UTF-8 without NUL bytes, as its
// header promises; the cut-down limits are honoured; an attachment's name is
// one line of UTF-8 within kMaxNameBytes, and the file name the saver makes of
// it is one safe path component.
#include <string_view>

#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"
#include "mime/header_fields.hpp"
#include "mime/message_date.hpp"
#include "mime/mime_field.hpp"
#include "mime/rfc2047.hpp"
#include "mime/attachments.hpp"
#include "mime/text_extract.hpp"
#include "pipeline/attachment_saver.hpp"

namespace mailferry::fuzz {
namespace {

void check_text(std::string_view s) {
    MF_FUZZ_CHECK(strict_utf8(s));
    MF_FUZZ_CHECK(s.find('\0') == std::string_view::npos);
}

void check_extracted(const mime::ExtractedText& t, const mime::TextLimits& limits) {
    for (const std::string* s : {&t.from, &t.to, &t.cc, &t.subject, &t.date, &t.message_id, &t.body}) check_text(*s);
    for (const auto& name : t.attachment_names) check_text(name);
    MF_FUZZ_CHECK(t.body.size() <= limits.max_body_bytes);
    MF_FUZZ_CHECK(t.parsed || !t.problem.empty());
}

void check_attachment(const mime::Attachment& a, size_t n) {
    check_text(a.name);
    MF_FUZZ_CHECK(a.name.size() <= mime::kMaxNameBytes);
    MF_FUZZ_CHECK(a.name.find('\n') == std::string::npos);
    std::string file = pipeline::attachment_file_name(a.name, a.content_type, n);
    MF_FUZZ_CHECK(!file.empty() && file != "." && file != "..");
    MF_FUZZ_CHECK(file.find('/') == std::string::npos && file.find('\\') == std::string::npos);
    for (unsigned char c : file) MF_FUZZ_CHECK(c >= 0x20 && c != 0x7f);
}

}  // namespace

void mime_text_one(const uint8_t* data, size_t size) {
    std::string_view message(reinterpret_cast<const char*>(data), size);
    check_extracted(mime::extract_text(message), mime::TextLimits{});
    // Small limits, so that inputs of fuzzer size reach the code that cuts.
    mime::TextLimits small{3, 8, 512, 1024, 64 * 1024};
    check_extracted(mime::extract_text(message, small), small);
    for (const mime::TextLimits& limits : {small, mime::attachment_limits()}) {
        size_t n = 0;
        auto scan = mime::for_each_attachment(
            message,
            [&](const mime::Attachment& a) {
                check_attachment(a, ++n);
                return true;
            },
            limits);
        MF_FUZZ_CHECK(scan.found == n);
        MF_FUZZ_CHECK(scan.parsed || !scan.problem.empty());
    }

    (void)mime::read_header_fields(message);
    (void)mime::received_date(message, 0);
    std::string_view field = message.substr(0, 4096);
    check_text(mime::decode_header_text(field));
    auto parsed = mime::parse_mime_field(field);
    for (const auto& [name, value] : parsed.params) (void)mime::decode_header_text(value);
}

}  // namespace mailferry::fuzz
