// Message flags: IMAP system flags plus keywords, and their Maildir form.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailferry {

struct Flags {
    bool seen = false;
    bool answered = false;
    bool flagged = false;
    bool deleted = false;
    bool draft = false;
    std::vector<std::string> keywords;  // e.g. "$Forwarded", "Wichtig"; sorted, unique

    bool operator==(const Flags&) const = default;

    // Adds one IMAP flag as the server spelled it ("\\Seen", "$Label"); \Recent is dropped
    // because it is session state, not a property of the message.
    void add_imap(std::string_view flag);
    // "\\Seen \\Flagged $Label": the form the index stores (system flags first).
    std::string to_imap() const;
    static Flags from_imap(std::string_view list);

    // The Maildir info letters, ASCII-sorted as the Maildir spec asks: D F R S T.
    // Keywords have no letter here: the index keeps them.
    std::string maildir_letters() const;
    static Flags from_maildir_letters(std::string_view letters);
};

}  // namespace mailferry
