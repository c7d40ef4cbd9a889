#include <catch2/catch.hpp>

#include "formats/maildir/maildir_naming.hpp"

using namespace mailferry;
using namespace mailferry::maildir;

TEST_CASE("folder directories are named as Dovecot's maildir++ layout with listescape names them", "[maildir]") {
    struct Row {
        const char* raw;
        char delim;
        const char* dir;
    };
    const Row table[] = {
        {"INBOX", '/', ""},
        {"inbox", '/', ""},
        {"INBOX/Sub", '/', ".INBOX.Sub"},
        {"Lists/dev@maven.apache.org", '/', ".Lists.dev@maven\\2eapache\\2eorg"},
        {"Archive/2016/ponymail-commits", '/', ".Archive.2016.ponymail-commits"},
        {"&ZeVnLIqe-/&U9dP4Xux-", '/', ".&ZeVnLIqe-.&U9dP4Xux-"},
        {"Listen/ImageMagick &IBM- &AMQ-rger &- Co", '/', ".Listen.ImageMagick &IBM- &AMQ-rger &- Co"},
        {"INBOX.Sent", '.', ".INBOX.Sent"},
        {"a/b\\c~d", '.', ".a\\2fb\\5cc\\7ed"},
        {"..", '/', ".\\2e\\2e"},
        {"../../etc", '/', ".\\2e\\2e.\\2e\\2e.etc"},
        {"tab\there", '/', ".tab\\09here"},
        {"", '/', ".\\00"},
        {"NoDelim/x", '\0', ".NoDelim\\2fx"},
    };
    for (const auto& r : table) {
        CAPTURE(r.raw);
        CHECK(folder_directory(split_levels(r.raw, r.delim)) == r.dir);
    }
}

TEST_CASE("a level in raw UTF-8 (UTF8=ACCEPT servers) is stored in modified UTF-7", "[maildir]") {
    CHECK(folder_directory({"Überächt"}) == ".&ANw-ber&AOQ-cht");
}

TEST_CASE("message file names carry identity, size and flags", "[maildir]") {
    Flags f;
    f.seen = f.flagged = f.draft = true;
    std::string base = imap_base_name(1700000000, 7, 42, 1234);
    CHECK(base == "1700000000.U7_42.mailferry,S=1234");
    std::string name = file_name(base, f);
    CHECK(name == "1700000000.U7_42.mailferry,S=1234:2,DFS");
    auto p = parse_file_name(name);
    CHECK(p.base == base);
    CHECK(p.letters == "DFS");
    CHECK(p.size == 1234u);
    CHECK(p.uidvalidity == 7u);
    CHECK(p.uid == 42u);
}

TEST_CASE("foreign Maildir names parse without an identity", "[maildir]") {
    auto p = parse_file_name("1795640793.M571012P28202.vm,S=6252,W=6381:2,S");
    CHECK(p.base == "1795640793.M571012P28202.vm,S=6252,W=6381");
    CHECK(p.size == 6252u);
    CHECK(p.letters == "S");
    CHECK_FALSE(p.uid.has_value());
    auto bang = parse_file_name("123.abc!2,RS");
    CHECK(bang.letters == "RS");
    auto bare = parse_file_name("1234.new-message");
    CHECK(bare.base == "1234.new-message");
    CHECK(bare.letters.empty());
}

TEST_CASE("Maildir++ directory names decode to the levels Dovecot's listescape encoded", "[maildir]") {
    struct Row {
        const char* dir;
        std::vector<std::string> levels;
        const char* name;  // for people
    };
    const Row table[] = {
        {".Lists.dev@maven\\2eapache\\2eorg", {"Lists", "dev@maven.apache.org"}, "Lists/dev@maven.apache.org"},
        {".Archive.2016.ponymail-commits", {"Archive", "2016", "ponymail-commits"}, "Archive/2016/ponymail-commits"},
        {".&ZeVnLIqe-.&U9dP4Xux-", {"&ZeVnLIqe-", "&U9dP4Xux-"}, "日本語/受信箱"},
        {".Listen.ImageMagick &IBM- &AMQ-rger &- Co", {"Listen", "ImageMagick &IBM- &AMQ-rger &- Co"},
         "Listen/ImageMagick – Ärger & Co"},
        {".a\\2fb\\5cc\\7ed", {"a/b\\c~d"}, "a/b\\c~d"},
        {".\\2e\\2e.\\2e\\2e.etc", {"..", "..", "etc"}, "../../etc"},
        {".\\00", {""}, ""},
        {".x\\zz\\2", {"x\\zz\\2"}, "x\\zz\\2"},
        {".Drafts", {"Drafts"}, "Drafts"},
    };
    for (const auto& r : table) {
        CAPTURE(r.dir);
        auto levels = directory_levels(r.dir);
        REQUIRE(levels.has_value());
        CHECK(*levels == r.levels);
        CHECK(display_name_of(*levels) == r.name);
    }
    for (const char* not_a_folder : {"", ".", "..", "cur", "Lists.dev"}) {
        CAPTURE(not_a_folder);
        CHECK_FALSE(directory_levels(not_a_folder).has_value());
    }
}

TEST_CASE("decoding and encoding a folder directory are inverse", "[maildir]") {
    for (const char* dir : {".Lists.dev@maven\\2eapache\\2eorg", ".&ZeVnLIqe-.&U9dP4Xux-", ".a\\2fb\\5cc\\7ed",
                            ".\\2e\\2e.\\2e\\2e.etc", ".tab\\09here", ".\\00", ".Archive.2016.ponymail-commits"}) {
        CAPTURE(dir);
        CHECK(folder_directory(*directory_levels(dir)) == dir);
    }
}

TEST_CASE("file-system layout directory names: modified UTF-7 kept, UTF-8 encoded", "[maildir]") {
    CHECK(level_from_fs_name("Projects") == "Projects");
    CHECK(level_from_fs_name("&ZeVnLIqe-") == "&ZeVnLIqe-");
    CHECK(level_from_fs_name("Überächt") == "&ANw-ber&AOQ-cht");
    CHECK(level_from_fs_name("Tom & Jerry") == "Tom &- Jerry");
    CHECK(raw_name_of({"a", "b/c"}) == "a/b\\2fc");
}
