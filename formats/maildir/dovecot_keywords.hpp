// Dovecot's keyword letters for Maildir: a folder's dovecot-keywords file maps
// the letters a..z (indexes 0..25) to keyword names, one "N name" line each,
// and a message file names its keywords by those letters after the system
// flag letters of its ":2," info ("...:2,FSab"). Dovecot holds at most 26
// keywords per folder this way (MAILDIR_MAX_KEYWORDS); a line with a larger
// index is ignored by Dovecot and by us. Keywords are matched without regard
// to case, as IMAP and Dovecot do.
//
// A value type: no I/O here (MaildirWriter writes the file durably).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/flags.hpp"

namespace mailferry::maildir {

class DovecotKeywords {
public:
    static constexpr size_t kMaxKeywords = 26;
    static constexpr const char* kFileName = "dovecot-keywords";

    // The contents of a dovecot-keywords file, read as Dovecot reads it: the
    // index up to the first space, the name after it. Lines with an index out
    // of 0..25, an empty name, or a name no IMAP keyword can have (white space,
    // control bytes) are skipped.
    static DovecotKeywords parse(std::string_view text);

    // A keyword's letter, giving it the first free one when it has none.
    // nullopt when all 26 are taken or the name cannot be written in the file.
    std::optional<char> assign(const std::string& keyword);
    std::optional<char> letter_of(std::string_view keyword) const;
    // The keyword of a letter ("" when the letter is free or not a..z).
    const std::string& keyword_of(char letter) const;

    // The letters of flags' keywords, ASCII-sorted as Dovecot writes them; a
    // keyword without a letter is appended to *without (when given).
    std::string letters(const Flags& flags, std::vector<std::string>* without = nullptr) const;

    // The file's contents: "N name\n" for each letter in use, by index.
    std::string serialize() const;
    bool empty() const;
    // Whether assign() gave out a letter since parse().
    bool changed() const { return changed_; }

    // A name that fits a line of the file and an IMAP FLAGS list.
    static bool writable(std::string_view keyword);

private:
    std::array<std::string, kMaxKeywords> names_;
    bool changed_ = false;
};

}  // namespace mailferry::maildir
