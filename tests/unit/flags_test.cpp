#include <catch2/catch.hpp>

#include "mailferry/flags.hpp"

using mailferry::Flags;

TEST_CASE("flags convert between IMAP and Maildir forms", "[flags]") {
    Flags f = Flags::from_imap("\\Seen \\answered $Forwarded \\Recent Wichtig \\Deleted");
    CHECK(f.seen);
    CHECK(f.answered);
    CHECK(f.deleted);
    CHECK_FALSE(f.flagged);
    CHECK(f.keywords == std::vector<std::string>{"$Forwarded", "Wichtig"});
    CHECK(f.to_imap() == "\\Seen \\Answered \\Deleted $Forwarded Wichtig");
    CHECK(f.maildir_letters() == "RST");
    CHECK(Flags::from_imap(f.to_imap()) == f);

    Flags m = Flags::from_maildir_letters("DFPRSTa");
    CHECK(m.maildir_letters() == "DFRST");
    CHECK(m.keywords.empty());
}
