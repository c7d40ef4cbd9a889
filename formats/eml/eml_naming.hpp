// File names for messages exported one per file (.eml): readable, sortable by
// date, and safe on any file system a user may copy them to.
//
//   <received, ISO 8601 basic, UTC>-<uid>-<subject slug>.eml
//   20240301T120000Z-42-re-release-plan-for-3-9.eml
//
// A name is ASCII only (letters, digits, '-', 'T', 'Z', '.'), never starts
// with '.', never holds '/', '\\', ':' or a control character, and is at most
// kMaxNameLength bytes, so it is valid on ext4, NTFS, FAT and APFS alike.
// Pure functions and a plain set: thread-safe as values are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace mailferry::eml {

constexpr size_t kMaxSlugLength = 40;
constexpr size_t kMaxNameLength = 100;

// The subject as a slug: RFC 2047 encoded words decoded (B and Q, any
// charset: only ASCII survives), ASCII letters and digits lower-cased, every
// run of anything else one '-', no '-' at either end, at most max_length
// bytes (cut at a '-' when one is near the end). "no-subject" when nothing is left.
std::string subject_slug(std::string_view raw_subject, size_t max_length = kMaxSlugLength);

// "<yyyymmddThhmmssZ>-<uid>-<slug>.eml"
std::string file_name(int64_t received, uint32_t uid, std::string_view raw_subject);

// The names given in one directory. claim() returns name itself if it is
// free, else "<stem>-2.eml", "<stem>-3.eml"... (compared without regard to
// ASCII case, for case-insensitive file systems), and records what it returns.
class UniqueNames {
public:
    std::string claim(const std::string& name);
    // Marks a name as used without claiming it (a subdirectory's name).
    void reserve(const std::string& name);
    bool taken(const std::string& name) const;

private:
    std::set<std::string> lower_;
};

}  // namespace mailferry::eml
