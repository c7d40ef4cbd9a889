// What reaches the terminal from a server or a message: shown, never obeyed.
#include <catch2/catch.hpp>

#include "core/mutf7.hpp"
#include "mailferry/result.hpp"
#include "core/utf8.hpp"

using mailferry::visible_text;

TEST_CASE("control, C1 and bidi characters are made visible, other text is kept", "[terminal]") {
    const struct {
        std::string in, out;
    } table[] = {
        {"plain text", "plain text"},
        {"\x1b[2Jcleared", "\\x1B[2Jcleared"},
        {"line\r\nbreak", "line\\x0D\\x0Abreak"},
        {std::string("nul\0byte", 8), "nul\\x00byte"},
        {"del\x7f", "del\\x7F"},
        {"c1 \xc2\x9b" "31m", "c1 \\x9B31m"},                      // U+009B, the 8-bit CSI
        {"evil\xe2\x80\xaegpj.exe", "evil<U+202E>gpj.exe"},       // right-to-left override
        {"\xe2\x81\xa6isolate\xe2\x81\xa9", "<U+2066>isolate<U+2069>"},
        {"Отправленные / 日本語 / Ärger", "Отправленные / 日本語 / Ärger"},
        {"latin1 caf\xe9", "latin1 caf\\xE9"},                    // not UTF-8
        {"overlong \xc0\xaf", "overlong \\xC0\\xAF"},
        {"cut \xe6\x97", "cut \\xE6\\x97"},
        {"\xf0\x9f\x98\x80 emoji", "\xf0\x9f\x98\x80 emoji"},
    };
    for (const auto& row : table) {
        CAPTURE(row.in);
        CHECK(visible_text(row.in) == row.out);
    }
}

TEST_CASE("a folder named in modified UTF-7 for ESC shows as text in an error", "[terminal]") {
    auto name = mailferry::mutf7_decode("&ABs-[2J");
    REQUIRE(name.has_value());
    REQUIRE(*name == "\x1b[2J");
    auto e = mailferry::make_error(mailferry::ErrorKind::not_found, mailferry::Radius::folder, "cannot select");
    e.in("folder " + *name);
    e.server_text = "NO \x1b]0;owned\x07";
    CHECK(e.describe() == "folder \\x1B[2J: cannot select (server said: NO \\x1B]0;owned\\x07)");
}
