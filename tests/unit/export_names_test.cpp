// Names export gives to what it writes: folder paths from folder names (any
// bytes: they come from mail) and EML file names.
#include <catch2/catch.hpp>

#include "formats/eml/eml_naming.hpp"
#include "pipeline/export_paths.hpp"

using namespace mailferry;
using pipeline::ExportPaths;
using pipeline::safe_component;

namespace {

// No component may leave DEST or hide: checked on every path the tests build.
void require_safe_path(const std::string& rel) {
    CAPTURE(rel);
    REQUIRE_FALSE(rel.empty());
    REQUIRE(rel[0] != '/');
    size_t start = 0;
    for (;;) {
        size_t slash = rel.find('/', start);
        std::string c = rel.substr(start, slash - start);
        CHECK_FALSE(c.empty());
        CHECK(c[0] != '.');
        for (char ch : c) {
            auto uc = static_cast<unsigned char>(ch);
            CHECK((uc >= 0x20 && uc != 0x7F));
            CHECK(ch != '\\');
        }
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
}

}  // namespace

TEST_CASE("a folder level becomes one safe path component", "[export]") {
    struct Row {
        std::string level, component;
    };
    const Row table[] = {
        {"INBOX", "INBOX"},
        {"dev@maven.apache.org", "dev@maven.apache.org"},
        {"..", "__"},
        {".", "_"},
        {".hidden", "_hidden"},
        {"", "_"},
        {"a/b", "a_b"},
        {"a\\b", "a_b"},
        {"/etc/passwd", "_etc_passwd"},
        {"tab\there\nnew", "tab_here_new"},
        {std::string("nul\0byte", 8), "nul_byte"},
        {"del\x7f", "del_"},
        {"what? <now>: \"a|b*\"", "what_ _now__ _a_b__"},
        {"trailing dot.", "trailing dot_"},
        {"trailing space ", "trailing space_"},
        {"CON", "_CON"},
        {"nul.txt", "_nul.txt"},
        {"com7", "_com7"},
        {"Console", "Console"},
        {"Überächt", "Überächt"},                      // valid UTF-8 stays
        {"Входящие", "Входящие"},
        {"bad \xff\xfe utf8", "bad __ utf8"},          // invalid bytes
        {"overlong \xc0\xaf", "overlong __"},          // an overlong '/'
        {"c1 \xc2\x85 control", "c1 _ control"},       // U+0085 NEL
        {"bidi \xe2\x80\xae txt", "bidi _ txt"},       // U+202E RIGHT-TO-LEFT OVERRIDE
        {"cut \xe2\x82", "cut __"},                    // a truncated sequence
    };
    for (const auto& r : table) {
        CAPTURE(r.level);
        CHECK(safe_component(r.level) == r.component);
    }
}

TEST_CASE("a long folder level is cut at a character boundary", "[export]") {
    std::string ascii(300, 'a');
    CHECK(safe_component(ascii) == std::string(pipeline::kMaxComponentBytes, 'a'));
    std::string umlauts;
    for (int i = 0; i < 150; ++i) umlauts += "\xc3\xbc";  // ü, 2 bytes each
    std::string cut = safe_component("x" + umlauts);
    CHECK(cut.size() == pipeline::kMaxComponentBytes - 1);  // "x" + 99 × ü: the 100th would not fit
    CHECK(cut.back() == '\xbc');
}

TEST_CASE("folders map to paths below DEST that never leave it and never collide", "[export]") {
    ExportPaths paths;
    CHECK(paths.folder_file({"INBOX"}, ".mbox") == "INBOX.mbox");
    CHECK(paths.folder_file({"Lists", "dev"}, ".mbox") == "Lists/dev.mbox");
    CHECK(paths.folder_file({"Lists"}, ".mbox") == "Lists.mbox");
    CHECK(paths.folder_file({"Lists", "users"}, ".mbox") == "Lists/users.mbox");
    // Hostile names stay inside.
    CHECK(paths.folder_file({"..", "..", "x"}, ".mbox") == "__/__/x.mbox");
    CHECK(paths.folder_file({"", "etc", "passwd"}, ".mbox") == "_/etc/passwd.mbox");
    CHECK(paths.folder_file({"a/b"}, ".mbox") == "a_b.mbox");
    // Two folders that sanitise alike, or differ only in case, get their own file.
    CHECK(paths.folder_file({"a_b"}, ".mbox") == "a_b (2).mbox");
    CHECK(paths.folder_file({"inbox"}, ".mbox") == "inbox (2).mbox");
    CHECK(paths.folder_file({"INBOX"}, ".mbox") == "INBOX (3).mbox");  // a second source's INBOX
    // A folder's directory never takes the name of another folder's file, nor the reverse.
    CHECK(paths.folder_file({"Lists.mbox", "x"}, ".mbox") == "Lists.mbox (2)/x.mbox");
    CHECK(paths.folder_directory({"Lists"}) == "Lists");
    for (const auto& p : {"INBOX.mbox", "Lists/dev.mbox", "__/__/x.mbox", "Lists.mbox (2)/x.mbox"}) require_safe_path(p);
    CHECK(paths.taken("lists/DEV.mbox"));
    CHECK_FALSE(paths.taken("Lists/other.mbox"));
}

TEST_CASE("EML folders are directories, subfolders live inside their parent's", "[export]") {
    ExportPaths paths;
    CHECK(paths.folder_directory({"INBOX"}) == "INBOX");
    CHECK(paths.folder_directory({"INBOX", "Sub"}) == "INBOX/Sub");
    CHECK(paths.folder_directory({"Archive", "2016", "ponymail-commits"}) == "Archive/2016/ponymail-commits");
    CHECK(paths.folder_directory({"Archive"}) == "Archive");
    CHECK(paths.folder_directory({"Archive", "2016"}) == "Archive/2016");
    CHECK(paths.folder_directory({"archive"}) == "archive (2)");
    CHECK(paths.folder_directory({"..%2F..%2Fx"}) == "_.%2F..%2Fx");  // one level: no '/' in it, not hidden
    require_safe_path(paths.folder_directory({"\x01\x02", "..", "~root"}));
}

TEST_CASE("a subject becomes an ASCII slug", "[export]") {
    struct Row {
        std::string subject, slug;
    };
    const Row table[] = {
        {"Re: [VOTE] Release Maven 3.9.0", "re-vote-release-maven-3-9-0"},
        {"", "no-subject"},
        {"   ", "no-subject"},
        {"../../etc/passwd", "etc-passwd"},
        {"=?UTF-8?Q?Caf=C3=A9_au_lait?=", "caf-au-lait"},
        {"=?ISO-8859-1?q?Gr=FC=DFe_aus_Bern?= und so", "gr-e-aus-bern-und-so"},
        {"=?utf-8?B?SGVsbG8gV29ybGQ=?=", "hello-world"},
        {"=?utf-8?B?0J/RgNC40LLQtdGC?=", "no-subject"},  // Cyrillic only: nothing ASCII is left
        {"=?broken", "broken"},
        {"Tab\tand\r\nCRLF\x01", "tab-and-crlf"},
        {"\xc3\x9c" "ber\xc3\xa4" "cht", "ber-cht"},
    };
    for (const auto& r : table) {
        CAPTURE(r.subject);
        CHECK(eml::subject_slug(r.subject) == r.slug);
    }
    std::string long_subject;
    for (int i = 0; i < 20; ++i) long_subject += "word" + std::to_string(i) + " ";
    std::string slug = eml::subject_slug(long_subject);
    CHECK(slug.size() <= eml::kMaxSlugLength);
    CHECK(slug == "word0-word1-word2-word3-word4-word5");  // cut at a word boundary
    CHECK(eml::subject_slug(std::string(100, 'x')) == std::string(eml::kMaxSlugLength, 'x'));
}

TEST_CASE("EML file names: date, UID, slug, ASCII, bounded, unique", "[export]") {
    CHECK(eml::file_name(1709294400, 42, "Release plan") == "20240301T120000Z-42-release-plan.eml");
    CHECK(eml::file_name(0, 1, "") == "19700101T000000Z-1-no-subject.eml");
    std::string longest = eml::file_name(1709294400, 4294967295u, std::string(500, 'y'));
    CHECK(longest.size() <= eml::kMaxNameLength);
    for (const auto& name : {longest, eml::file_name(1, 2, "/../\x01\xff.hidden")}) {
        CAPTURE(name);
        CHECK(name[0] != '.');
        for (char c : name) CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '.' ||
                                   c == 'T' || c == 'Z'));
    }

    eml::UniqueNames names;
    CHECK(names.claim("a.eml") == "a.eml");
    CHECK(names.claim("a.eml") == "a-2.eml");
    CHECK(names.claim("A.EML") == "A-3.EML");  // case-insensitive file systems
    CHECK(names.claim("a-2.eml") == "a-2-2.eml");
    names.reserve("b.eml");
    CHECK(names.claim("b.eml") == "b-2.eml");
    CHECK(names.taken("B-2.eml"));
}
