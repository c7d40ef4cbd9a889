#include <catch2/catch.hpp>

#include "cache/search_snippet.hpp"

using namespace mailferry::cache;

TEST_CASE("query_words leaves out FTS5 operators, column names and syntax", "[search]") {
    auto w = query_words("subject:Maven AND (\"Build Failure\" OR surefire*) NOT jenkins NEAR(a b, 3) ^x");
    std::vector<std::string> texts;
    for (const auto& q : w) texts.push_back(q.text + (q.prefix ? "*" : ""));
    CHECK(texts == std::vector<std::string>{"maven", "build", "failure", "surefire*", "jenkins", "a", "b", "3", "x"});
    CHECK(query_words("").empty());
    CHECK(query_words("\"\" ()*").empty());
}

TEST_CASE("make_snippet brackets the matching words around the first match", "[search]") {
    std::string text = "one two three four five six seven eight nine ten eleven twelve thirteen "
                       "fourteen Release fifteen sixteen seventeen eighteen nineteen twenty twentyone "
                       "twentytwo twentythree twentyfour twentyfive";
    auto s = make_snippet(text, query_words("release"), 8);
    CHECK(s == "...thirteen fourteen [Release] fifteen sixteen seventeen eighteen nineteen...");

    SECTION("a prefix query matches longer words") {
        CHECK(make_snippet("alpha betamax gamma", query_words("beta*"), 12) == "alpha [betamax] gamma");
        CHECK(make_snippet("alpha betamax gamma", query_words("beta"), 12) == "alpha betamax gamma");
    }
    SECTION("line breaks and runs of blanks become one space, punctuation stays") {
        CHECK(make_snippet("Hello,\r\n\r\n  the build\tfailed.\n", query_words("build"), 12) ==
              "Hello, the [build] failed");
    }
    SECTION("without a match in the text: its first words") {
        CHECK(make_snippet("a b c d e f", query_words("zzz"), 4) == "a b c d...");
    }
    SECTION("a match near the end still fills the window") {
        CHECK(make_snippet("a b c d e f g h", query_words("h"), 4) == "...e f g [h]");
    }
    SECTION("UTF-8 words are whole words, control characters are dropped") {
        CHECK(make_snippet("Grüße\x01 aus Zürich", query_words("zürich"), 12) == "Grüße aus [Zürich]");
    }
    SECTION("empty text") { CHECK(make_snippet("", query_words("x"), 12).empty()); }
}
