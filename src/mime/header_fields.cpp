#include "mime/header_fields.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"

namespace mailferry::mime {
namespace {

constexpr size_t kMaxHeaderSection = 256 * 1024;
constexpr size_t kMaxValue = 1000;

using ascii::iequals;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Appends one physical line's content to a field value being unfolded.
void append_unfolded(std::string& value, std::string_view part) {
    part = trim(part);
    if (part.empty() || value.size() >= kMaxValue) return;
    if (!value.empty()) value += ' ';
    value.append(part.substr(0, kMaxValue - std::min(kMaxValue, value.size())));
}

}  // namespace

HeaderFields read_header_fields(std::string_view msg) {
    HeaderFields f;
    msg = msg.substr(0, std::min(msg.size(), kMaxHeaderSection));
    std::string* current = nullptr;
    size_t pos = 0;
    while (pos < msg.size()) {
        size_t eol = msg.find('\n', pos);
        std::string_view line = msg.substr(pos, eol == std::string_view::npos ? msg.npos : eol - pos);
        pos = eol == std::string_view::npos ? msg.size() : eol + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;  // end of the header section
        if (line[0] == ' ' || line[0] == '\t') {
            if (current) append_unfolded(*current, line);
            continue;
        }
        current = nullptr;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = trim(line.substr(0, colon));
        std::string* target = iequals(name, "Message-ID") ? &f.message_id
                              : iequals(name, "Date")     ? &f.date
                              : iequals(name, "From")     ? &f.from
                              : iequals(name, "To")       ? &f.to
                              : iequals(name, "Subject")  ? &f.subject
                                                          : nullptr;
        if (target && target->empty()) {
            current = target;
            append_unfolded(*current, line.substr(colon + 1));
        }
    }
    for (std::string* s : {&f.message_id, &f.date, &f.from, &f.to, &f.subject})
        s->erase(std::remove(s->begin(), s->end(), '\0'), s->end());
    return f;
}

}  // namespace mailferry::mime
