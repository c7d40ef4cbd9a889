// Message flags: IMAP system flags plus keywords, and their Maildir form.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailferry {

// A keyword as RFC 3501 allows it (flag-keyword = atom): 1 to 255 printable ASCII
// characters, none of the atom-specials ( ) { SP % * " \ ], no controls, no 8-bit.
bool is_imap_keyword(std::string_view keyword);

struct Flags {
    bool seen = false;
    bool answered = false;
    bool flagged = false;
    bool deleted = false;
    bool draft = false;
    std::vector<std::string> keywords;  // e.g. "$Forwarded", "Wichtig"; sorted, unique

    bool operator==(const Flags&) const = default;

    // Adds one IMAP flag as the server spelled it ("\\Seen", "$Label"); \Recent is dropped
    // because it is session state, not a property of the message. A keyword that is not
    // an IMAP atom (is_imap_keyword) is refused: false, nothing added. Such a keyword,
    // written into an APPEND, would end the command early and let the rest of the line,
    // and the message after it, be read as commands in the target account.
    bool add_imap(std::string_view flag);
    // "\\Seen \\Flagged $Label": the form the index stores (system flags first).
    std::string to_imap() const;
    static Flags from_imap(std::string_view list);

    // The Maildir info letters, ASCII-sorted as the Maildir spec asks: D F R S T.
    // Keywords have no letter here: the index keeps them.
    std::string maildir_letters() const;
    static Flags from_maildir_letters(std::string_view letters);
};

}  // namespace mailferry
