// formats/maildir names: the input is a name found in a Maildir tree, taken as
// a message file name, as a Maildir++ folder directory name, and as an IMAP
// folder name to store. Properties:
//  - a file name written from a parsed one parses the same;
//  - a folder directory never is "." or "..", nor holds '/' or a control byte
//    (docs/architecture.md §8: the cache never writes outside itself);
//  - listescape round-trips: a directory made from levels of plain ASCII
//    (no NUL) reads back as those levels;
//  - level_from_fs_name gives valid modified UTF-7.
#include <string>
#include <string_view>
#include <vector>

#include "formats/maildir/maildir_naming.hpp"
#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"
#include "core/mutf7.hpp"

namespace mailferry::fuzz {
namespace {

void check_file_name(std::string_view name) {
    auto p = maildir::parse_file_name(name);
    auto again = maildir::parse_file_name(p.base + ":2," + p.letters);
    MF_FUZZ_CHECK(again.base == p.base && again.letters == p.letters);
    MF_FUZZ_CHECK(again.size == p.size && again.uid == p.uid && again.uidvalidity == p.uidvalidity);
    (void)Flags::from_maildir_letters(p.letters);
}

// ASCII without NUL. A level that is one NUL byte is written "\00", which
// reads back as the empty level: no source can hand us such a name (IMAP's
// CHAR8 excludes NUL, file names cannot hold one), so that stays ambiguous.
bool plain_ascii(const std::vector<std::string>& levels) {
    for (const auto& level : levels)
        for (char c : level)
            if (c == '\0' || static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

bool is_inbox(const std::vector<std::string>& levels) {
    if (levels.size() != 1 || levels[0].size() != 5) return false;
    for (size_t i = 0; i < 5; ++i)
        if ((levels[0][i] | 0x20) != "inbox"[i]) return false;
    return true;
}

void check_directory(const std::vector<std::string>& levels) {
    std::string dir = maildir::folder_directory(levels);
    MF_FUZZ_CHECK(dir != "." && dir != "..");
    for (char c : dir) MF_FUZZ_CHECK(c != '/' && static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
    if (!plain_ascii(levels) || is_inbox(levels)) return;
    auto back = maildir::directory_levels(dir);
    MF_FUZZ_CHECK(back.has_value() && *back == levels);
}

}  // namespace

void maildir_name_one(const uint8_t* data, size_t size) {
    std::string_view name(reinterpret_cast<const char*>(data), size);
    check_file_name(name);

    if (auto levels = maildir::directory_levels(name)) {
        (void)maildir::raw_name_of(*levels);
        (void)maildir::display_name_of(*levels);
        check_directory(*levels);
    }
    check_directory(maildir::split_levels(name, '/'));
    MF_FUZZ_CHECK(mutf7_decode(maildir::level_from_fs_name(name)).has_value());
}

}  // namespace mailferry::fuzz
