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
