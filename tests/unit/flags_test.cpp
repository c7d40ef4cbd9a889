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

TEST_CASE("a keyword is an IMAP atom or it is not kept", "[flags]") {
    using mailferry::is_imap_keyword;
    for (const char* good : {"$Forwarded", "Wichtig", "$label1", "NonJunk", "a.b-c_d:e/f", "!#&'+,-./:;<=>?@[^_`|}~"})
        CHECK(is_imap_keyword(good));
    for (const char* bad : {"", "x)", "(x", "{3}", "a b", "a%", "a*", "q\"", "back\\slash", "a]", "\\Seen",
                            "tab\t", "caf\xc3\xa9", "del\x7f"}) {
        CAPTURE(bad);
        CHECK_FALSE(is_imap_keyword(bad));
    }
    CHECK_FALSE(is_imap_keyword(std::string_view("a\0b", 3)));
    CHECK_FALSE(is_imap_keyword(std::string(256, 'k')));
    CHECK(is_imap_keyword(std::string(255, 'k')));

    Flags f;
    CHECK_FALSE(f.add_imap("x)"));
    CHECK_FALSE(f.add_imap("a(b"));
    CHECK(f.add_imap("$Good"));
    CHECK(f.add_imap("\\Seen"));
    CHECK(f.keywords == std::vector<std::string>{"$Good"});
    CHECK(Flags::from_imap("\\Seen x) $Good {5}").to_imap() == "\\Seen $Good");
}
