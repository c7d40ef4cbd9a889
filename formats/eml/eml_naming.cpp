#include "formats/eml/eml_naming.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "core/clock.hpp"
#include "mime/rfc2047.hpp"

namespace mailferry::eml {

std::string subject_slug(std::string_view raw_subject, size_t max_length) {
    // Only ASCII letters and digits stay, so the charset matters little; the
    // one RFC 2047 decoder (src/mime) is used all the same.
    std::string text = mime::decode_header_text(raw_subject);
    std::string slug;
    for (char c : text) {
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum) slug += ascii::lower(c);
        else if (!slug.empty() && slug.back() != '-') slug += '-';
    }
    if (slug.size() > max_length) {
        // Cut at a word boundary when one is in the last quarter, else mid-word.
        size_t dash = slug.rfind('-', max_length);
        slug.resize(dash != std::string::npos && dash >= max_length * 3 / 4 ? dash : max_length);
    }
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    return slug.empty() ? "no-subject" : slug;
}

std::string file_name(int64_t received, uint32_t uid, std::string_view raw_subject) {
    // "2024-03-01T12:00:00Z" -> "20240301T120000Z": ':' is not allowed on NTFS and FAT.
    std::string date;
    for (char c : iso8601_utc(received))
        if (c != '-' && c != ':') date += c;
    std::string prefix = date + "-" + std::to_string(uid) + "-";
    // Room for the slug, a uniqueness suffix ("-99999") and ".eml" within kMaxNameLength.
    size_t room = kMaxNameLength - prefix.size() - 10;
    return prefix + subject_slug(raw_subject, std::min(kMaxSlugLength, room)) + ".eml";
}

std::string UniqueNames::claim(const std::string& name) {
    std::string candidate = name;
    if (taken(candidate)) {
        std::string stem = name, ext;
        if (size_t dot = name.rfind('.'); dot != std::string::npos && dot > 0) {
            stem = name.substr(0, dot);
            ext = name.substr(dot);
        }
        for (int n = 2; taken(candidate); ++n) candidate = stem + "-" + std::to_string(n) + ext;
    }
    lower_.insert(ascii::lower(candidate));
    return candidate;
}

void UniqueNames::reserve(const std::string& name) { lower_.insert(ascii::lower(name)); }

bool UniqueNames::taken(const std::string& name) const { return lower_.count(ascii::lower(name)) != 0; }

}  // namespace mailferry::eml
