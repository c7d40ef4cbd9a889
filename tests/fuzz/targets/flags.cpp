// Flags and keywords (include/mailferry/flags.hpp): the input is taken as an
// IMAP flag list as the index stores it, as each of its words alone, as an
// mbox X-Keywords: value (and as a whole header section), and as a Maildir
// folder's dovecot-keywords file whose letters a message file then names.
// Properties:
//  - every keyword that ends up in a Flags is an IMAP atom (fuzz_check.hpp's
//    own reading of RFC 3501) of at most 255 bytes: nothing that could end an
//    APPEND's flag list early; is_imap_keyword says exactly that;
//  - add_imap's answer matches what it stored; the keywords stay sorted and
//    unique; to_imap and from_imap, maildir_letters and from_maildir_letters
//    round-trip;
//  - a dovecot-keywords file reads back the same from what serialize writes,
//    holds only writable names, and letters/assign/letter_of agree.
#include <algorithm>
#include <map>
#include <string>
#include <string_view>

#include "formats/maildir/dovecot_keywords.hpp"
#include "formats/maildir/maildir_reader.hpp"
#include "formats/mbox/mbox_headers.hpp"
#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"
#include "mailferry/flags.hpp"

namespace mailferry::fuzz {
namespace {

bool stored_keyword(std::string_view k) { return imap_atom(k) && k.size() <= 255; }

bool same_ignoring_case(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
               return lower(x) == lower(y);
           });
}

void check_flags(const Flags& f) {
    for (const auto& k : f.keywords) MF_FUZZ_CHECK(stored_keyword(k));
    MF_FUZZ_CHECK(std::adjacent_find(f.keywords.begin(), f.keywords.end(),
                                     [](const std::string& a, const std::string& b) { return !(a < b); }) ==
                  f.keywords.end());
    const std::string list = f.to_imap();
    for (char c : list) MF_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f);
    MF_FUZZ_CHECK(Flags::from_imap(list) == f);
    Flags system = f;
    system.keywords.clear();
    MF_FUZZ_CHECK(Flags::from_maildir_letters(f.maildir_letters()) == system);
}

// One word, alone: what add_imap answers, and what it stores.
void check_word(std::string_view word) {
    MF_FUZZ_CHECK(is_imap_keyword(word) == stored_keyword(word));
    Flags f;
    bool added = f.add_imap(word);
    if (!word.empty() && word[0] == '\\') {
        MF_FUZZ_CHECK(added && f.keywords.empty());  // a system flag, known or not, is never a keyword
    } else {
        MF_FUZZ_CHECK(added == is_imap_keyword(word));
        if (added) MF_FUZZ_CHECK(f.keywords.size() == 1 && f.keywords[0] == word);
        else MF_FUZZ_CHECK(f == Flags{});
    }
    check_flags(f);
}

void check_dovecot_keywords(std::string_view text, const Flags& flags) {
    auto table = maildir::DovecotKeywords::parse(text);
    std::map<char, std::string> by_letter;
    for (char c = 'a'; c <= 'z'; ++c) {
        const std::string& name = table.keyword_of(c);
        if (name.empty()) continue;
        MF_FUZZ_CHECK(maildir::DovecotKeywords::writable(name));
        auto first = table.letter_of(name);  // the first letter of a name given twice
        MF_FUZZ_CHECK(first && *first <= c && same_ignoring_case(table.keyword_of(*first), name));
        by_letter[c] = name;
    }
    const std::string file = table.serialize();
    MF_FUZZ_CHECK(maildir::DovecotKeywords::parse(file).serialize() == file);
    // A message file naming every letter, as maildir_reader reads it.
    check_flags(maildir::flags_from_info("DFPRSTabcdefghijklmnopqrstuvwxyz", by_letter));

    // Giving the flags' keywords letters, as MaildirWriter does.
    for (const auto& k : flags.keywords) {
        auto letter = table.assign(k);
        if (!letter) continue;
        MF_FUZZ_CHECK(*letter >= 'a' && *letter <= 'z');
        MF_FUZZ_CHECK(table.letter_of(k) == letter && same_ignoring_case(table.keyword_of(*letter), k));
    }
    std::vector<std::string> without;
    const std::string letters = table.letters(flags, &without);
    MF_FUZZ_CHECK(std::is_sorted(letters.begin(), letters.end()));
    MF_FUZZ_CHECK(std::adjacent_find(letters.begin(), letters.end()) == letters.end());
    for (char c : letters) MF_FUZZ_CHECK(c >= 'a' && c <= 'z' && !table.keyword_of(c).empty());
    for (const auto& k : flags.keywords)
        MF_FUZZ_CHECK(table.letter_of(k).has_value() != (std::find(without.begin(), without.end(), k) != without.end()));
    const std::string file_after = table.serialize();
    MF_FUZZ_CHECK(maildir::DovecotKeywords::parse(file_after).serialize() == file_after);
}

}  // namespace

void flags_one(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    for (size_t i = 0; i <= text.size();) {
        size_t space = std::min(text.find(' ', i), text.size());
        check_word(text.substr(i, space - i));
        i = space + 1;
    }
    const Flags listed = Flags::from_imap(text);
    check_flags(listed);

    check_flags(mbox::parse_mbox_headers("X-Keywords: " + std::string(text) + "\r\n\r\nbody\r\n").flags);
    check_flags(mbox::parse_mbox_headers(text).flags);

    check_dovecot_keywords(text, listed);
}

}  // namespace mailferry::fuzz
