#include "mime/part_info.hpp"

#include <strings.h>

#include "core/ascii.hpp"
#include "mime/charset.hpp"
#include "mime/mime_entity.hpp"
#include "mime/rfc2047.hpp"

namespace mailferry::mime {
namespace {

using ascii::iequals;

// "text" -> "text/plain": a type without its subtype gets the usual one.
std::string full_type(const std::string& value, std::string_view default_type) {
    if (value.find('/') != std::string::npos) return value;
    if (value == "text") return "text/plain";
    if (value == "multipart") return "multipart/mixed";
    if (value == "message") return "message/rfc822";
    return std::string(default_type);
}

}  // namespace

bool PartInfo::is(std::string_view main) const {
    return type.compare(0, main.size(), main) == 0 && type.size() > main.size() && type[main.size()] == '/';
}

bool PartInfo::is_embedded_message() const {
    return type == "message/rfc822" || type == "message/global" || type == "message/news";
}

bool PartInfo::attachment() const {
    if (disposition.value == "attachment") return true;
    return disposition.value.empty() && content_type.param("name") != nullptr;
}

bool PartInfo::readable_text() const {
    return (type == "text/plain" || type == "text/html" || type == "text/enriched" || type == "text/richtext") &&
           !attachment() && encoding != TransferEncoding::unreadable;
}

std::string PartInfo::file_name() const {
    const std::string* name = disposition.param("filename");
    if (!name || name->empty()) name = content_type.param("name");
    if (!name || name->empty()) return {};
    std::string decoded = decode_header_text(*name);
    decoded.resize(utf8_cut(decoded, kMaxNameBytes));
    return decoded;
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

}  // namespace mailferry::mime
