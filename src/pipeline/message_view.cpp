#include "pipeline/message_view.hpp"

#include <algorithm>

#include "mime/text_extract.hpp"

namespace mailferry::pipeline {

std::string_view header_section(std::string_view bytes) {
    size_t crlf = bytes.find("\r\n\r\n"), lf = bytes.find("\n\n");
    size_t end = std::min(crlf == std::string_view::npos ? bytes.size() : crlf + 4,
                          lf == std::string_view::npos ? bytes.size() : lf + 2);
    return bytes.substr(0, end);
}

std::string message_as_text(std::string_view bytes) {
    mime::ExtractedText t = mime::extract_text(bytes);
    std::string out = "From:    " + t.from + "\nTo:      " + t.to + "\n";
    if (!t.cc.empty()) out += "Cc:      " + t.cc + "\n";
    out += "Date:    " + t.date + "\nSubject: " + t.subject + "\n";
    for (const auto& a : t.attachment_names) out += "Attachment: " + a + "\n";
    if (!t.parsed) out += "Note: " + t.problem + "\n";
    out += "\n" + t.body;
    if (!t.body.empty() && t.body.back() != '\n') out += "\n";
    return out;
}

}  // namespace mailferry::pipeline
