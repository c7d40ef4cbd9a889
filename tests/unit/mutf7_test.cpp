#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/mutf7.hpp"
#include "test_corpus.hpp"

using mailferry::mutf7_decode;
using mailferry::mutf7_encode;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out(1);
    for (char c : s) {
        if (c == sep) out.emplace_back();
        else out.back() += c;
    }
    return out;
}

// Dovecot's listescape: "\2e" in a level is a '.' of the name.
std::string unescape_level(std::string level) {
    for (size_t at = level.find("\\2e"); at != std::string::npos; at = level.find("\\2e", at + 1)) level.replace(at, 3, ".");
    return level;
}

}  // namespace

TEST_CASE("modified UTF-7 round-trips the folder names of the generated Maildir++ tree", "[mutf7][corpus]") {
    size_t non_ascii = 0;
    for (const auto& c : mailferry::test::generated_manifest().at("containers")) {
        if (c.at("kind") != "maildir++") continue;
        for (const auto& f : c.at("folders")) {
            const std::string dir = f.at("dir"), name = f.at("name");
            if (dir.empty()) continue;  // INBOX
            CAPTURE(dir, name);
            std::vector<std::string> levels = split(dir.substr(1), '.');
            std::vector<std::string> names = split(name, '/');
            REQUIRE(levels.size() == names.size());
            for (size_t i = 0; i < levels.size(); ++i) {
                std::string on_disk = unescape_level(levels[i]);
                CHECK(mutf7_decode(on_disk) == names[i]);
                CHECK(mutf7_encode(names[i]) == on_disk);
                non_ascii += on_disk.find('&') != std::string::npos;
            }
        }
    }
    CHECK(non_ascii >= 3);
}

TEST_CASE("modified UTF-7 round-trips names as Dovecot writes them", "[mutf7]") {
    // Each pair: the UTF-8 name and the directory level Dovecot 2.3 wrote for it.
    const std::pair<const char*, const char*> table[] = {
        {"Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"},
        {"日本語", "&ZeVnLIqe-"},
        {"受信箱", "&U9dP4Xux-"},
        {"ImageMagick – Ärger & Co", "ImageMagick &IBM- &AMQ-rger &- Co"},
        {"Überächt", "&ANw-ber&AOQ-cht"},
        {"plain", "plain"},
        {"&", "&-"},
        {"", ""},
        {"😀 emoji", "&2D3eAA- emoji"},  // outside the BMP: a surrogate pair
    };
    for (const auto& [utf8, mutf7] : table) {
        CAPTURE(utf8);
        CHECK(mutf7_encode(utf8) == mutf7);
        auto back = mutf7_decode(mutf7);
        REQUIRE(back.has_value());
        CHECK(*back == utf8);
    }
}

TEST_CASE("invalid modified UTF-7 is refused, not guessed", "[mutf7]") {
    for (const char* bad : {"&", "&AOQ", "&A-", "&AGE-" /* 'a' must be direct */, "&2D0-" /* lone surrogate */,
                            "caf\xc3\xa9" /* raw 8-bit */, "&ZeVnLIqe/-" /* '/' is not in the alphabet */}) {
        CAPTURE(bad);
        CHECK_FALSE(mutf7_decode(bad).has_value());
    }
}

TEST_CASE("invalid UTF-8 is encoded as U+FFFD", "[mutf7]") {
    CHECK(mutf7_encode("a\xff" "b") == "a&,,0-b");
    // Overlong forms and leads above 0xF7 too: "\xC1\x89" is not 'I' (fuzzer).
    CHECK(mutf7_encode("\xc1\x89") == "&,,0-");
    CHECK(mutf7_encode("\xc0\xaf") == "&,,0-");
    CHECK(mutf7_decode(mutf7_encode("\xe0\x80\xaf")) == "\xef\xbf\xbd");
    CHECK(mutf7_decode(mutf7_encode("\xf8\x90\x80\x80")) == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}
