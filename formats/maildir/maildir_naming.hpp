// Names in a Maildir++ tree, as Dovecot writes them with LAYOUT=maildir++ and
// its listescape plugin, so that Dovecot, mutt and notmuch can read what we write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/flags.hpp"

namespace mailferry::maildir {

// Splits an IMAP mailbox name (as sent, modified UTF-7) into its levels.
std::vector<std::string> split_levels(std::string_view raw_name, char delimiter);

// The folder's directory below the Maildir++ root: "" for INBOX (the root
// itself), ".A.B" for A/B. Inside one level, '.', '/', '\\' and '~' become
// \2e, \2f, \5c, \7e (Dovecot's listescape); control bytes are escaped the same
// way, so no level can be "." or ".." or hold a path separator. Non-ASCII bytes
// are written in modified UTF-7.
std::string folder_directory(const std::vector<std::string>& levels);

// dir itself when it has at most max_bytes, else its first bytes and "~" plus
// 16 hex digits of its SHA-256, max_bytes in all: a folder nested deep or
// named long makes a Maildir++ name (one file name for all its levels) that
// the file system refuses (ENAMETOOLONG; 255 bytes on most, 143 on eCryptfs).
// The cut never splits a "\xx" escape or a modified UTF-7 run, and '~' is
// always escaped inside a level, so a shortened name is never a folder's own.
std::string fit_directory_name(const std::string& dir, size_t max_bytes);

// The inverse of folder_directory for a directory name found in a Maildir++
// root (".Lists.dev@maven\2eapache\2eorg"): its levels with Dovecot's
// listescape undone ({"Lists", "dev@maven.apache.org"}), still in modified
// UTF-7 as on disk. An escape that is not '\' and two hex digits is kept as
// it is; "\00" is the empty level folder_directory writes. nullopt when the
// name is not a Maildir++ folder name ("", ".", "..", no leading '.').
std::optional<std::vector<std::string>> directory_levels(std::string_view dir_name);

// A level as an IMAP name holds it (modified UTF-7) from a directory name of a
// file-system layout Maildir tree (notmuch, Dovecot LAYOUT=fs), which may be
// modified UTF-7 already or plain UTF-8: kept when it is valid modified
// UTF-7, else encoded.
std::string level_from_fs_name(std::string_view name);

// The levels joined with '/', as the cache's raw folder names are; a '/'
// inside a level is written "\2f" (listescape's form), never a delimiter.
std::string raw_name_of(const std::vector<std::string>& levels);
// The same for people: each level decoded from modified UTF-7 when it is valid.
std::string display_name_of(const std::vector<std::string>& levels);

// The unique part of a message file name that mailferry gives a message fetched
// from IMAP: "<received>.U<uidvalidity>_<uid>.mailferry,S=<size>". Deterministic,
// so a re-fetch after a crash lands on the same name.
std::string imap_base_name(int64_t received, uint32_t uidvalidity, uint32_t uid, uint64_t size);

// The full file name: base plus ":2," and the flag letters.
std::string file_name(std::string_view base, const Flags& flags);

struct ParsedFileName {
    std::string base;        // before ":2,"
    std::string letters;     // after ":2," (may be empty)
    std::optional<uint64_t> size;  // from ",S=" when present
    std::optional<uint32_t> uidvalidity, uid;  // from a mailferry IMAP base name
};
// Accepts ':' and '!' as the info separator (the latter is what Maildirs on
// file systems without ':' use).
ParsedFileName parse_file_name(std::string_view name);

}  // namespace mailferry::maildir
