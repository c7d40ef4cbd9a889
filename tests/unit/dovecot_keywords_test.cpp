// Dovecot's dovecot-keywords table: parsing as Dovecot parses it, letters in
// Dovecot's order, the 26-keyword limit.
#include <catch2/catch.hpp>

#include "formats/maildir/dovecot_keywords.hpp"

using namespace mailferry;
using mailferry::maildir::DovecotKeywords;

TEST_CASE("dovecot-keywords: lines read as Dovecot reads them", "[maildir][keywords]") {
    struct Case {
        const char* text;
        const char* serialized;  // what is kept
    };
    const Case cases[] = {
        {"0 $Forwarded\n", "0 $Forwarded\n"},
        {"0 a\n1 b\n", "0 a\n1 b\n"},
        {"2 c\n0 a\n", "0 a\n2 c\n"},             // by index, gaps kept
        {"0 a", "0 a\n"},                         // no final line break
        {"25 z\n26 too-far\n-1 neg\n", "25 z\n"}, // only a..z
        {"x a\n0\n0 \n1  b\n", ""},               // no index, no name, a name with a space
        {"0 two words\n", ""},
        {"", ""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        CHECK(DovecotKeywords::parse(c.text).serialize() == c.serialized);
    }
}

TEST_CASE("dovecot-keywords: letters after the system flags, sorted, case-insensitive", "[maildir][keywords]") {
    auto table = DovecotKeywords::parse("0 $Forwarded\n2 Wichtig\n");
    CHECK_FALSE(table.changed());
    CHECK(table.assign("wichtig") == 'c');  // the same keyword
    CHECK_FALSE(table.changed());
    CHECK(table.assign("Neu") == 'b');       // the first free letter
    CHECK(table.changed());
    CHECK(table.assign("bad name") == std::nullopt);
    CHECK(table.assign("\\Seen") == std::nullopt);
    CHECK(table.serialize() == "0 $Forwarded\n1 Neu\n2 Wichtig\n");

    struct Case {
        const char* flags;
        const char* letters;
        std::vector<std::string> without;
    };
    const std::vector<Case> cases = {
        {"\\Seen", "", {}},
        {"Wichtig $Forwarded", "ac", {}},
        {"Wichtig Neu $Forwarded", "abc", {}},
        {"WICHTIG wichtig", "c", {}},
        {"Other Neu", "b", {"Other"}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.flags);
        std::vector<std::string> without;
        CHECK(table.letters(Flags::from_imap(c.flags), &without) == c.letters);
        CHECK(without == c.without);
    }
}

TEST_CASE("dovecot-keywords: 26 keywords at most", "[maildir][keywords]") {
    DovecotKeywords table;
    CHECK(table.empty());
    for (int i = 0; i < 26; ++i) CHECK(table.assign("k" + std::to_string(i)) == static_cast<char>('a' + i));
    CHECK(table.assign("k26") == std::nullopt);
    CHECK(table.assign("k25") == 'z');
    CHECK(table.keyword_of('z') == "k25");
    CHECK(table.keyword_of('A').empty());
    // What Dovecot reads back is what was written.
    CHECK(DovecotKeywords::parse(table.serialize()).serialize() == table.serialize());
}
