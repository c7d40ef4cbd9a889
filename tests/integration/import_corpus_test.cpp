// mailferry import of whole corpora into a cache, with the real binary; no
// server needed. The generated corpus' MANIFEST.json says what every container
// holds; the real-mail variant pins counts of the dev corpus (when it is at hand).
//
// The real corpus' pinned counts, and how they were established:
//  - mbox files: the reader's counts, pinned and explained in
//    tests/unit/mbox_corpus_test.cpp (grep -c '^From ', every disagreement read
//    by hand, Python's mailbox module message by message);
//  - Maildir folders: `find DIR/cur DIR/new -type f | wc -l`, plus, in
//    notmuch-default, the files with ":2," directly in the folder directory
//    (`find DIR -maxdepth 1 -type f -name '*:2,*'`), and MANIFEST.md's table;
//  - message-file folders: `find DIR -maxdepth 1 -type f | wc -l` less the
//    files whose message (the file without a first "From " line) another file
//    of the folder already holds (`sha256sum | sort | uniq -d`): 2 in
//    eml/mime4j-mimetools, 1 in malformed/dovecot-via-stalwart-malformed,
//    2 in malformed/mime4j.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "corpus_manifest.hpp"
#include "import_support.hpp"
#include "support.hpp"
#include "test_corpus.hpp"
#include "test_files.hpp"
#include "wrap/sha256.hpp"

using namespace mailferry;
using namespace mailferry::test;
using namespace mailferry::test::imports;
namespace fs = std::filesystem;

namespace {

const std::map<std::string, uint64_t> kMboxCounts = {
    {"gmime/substring", 3},
    {"mimekit/issue1189", 4},
    {"mimekit/simple", 3},
    {"mimekit/unmunged", 2},
    {"perl-mail-box/mbox.cpy", 45},
    {"perl-mail-box/mbox.src", 45},
    {"perl-mail-box/mbox.win.crlf", 45},
    {"ponymail-asf/asterix-dev-201709-mailarchivesao", 53},
    {"ponymail-asf/commits_ponymail_apache_org_2016-06", 82},
    {"ponymail-asf/empty_attachment", 1},
    {"ponymail-asf/empty_body", 1},
    {"ponymail-asf/httpd-dev-28428", 1},
    {"ponymail-asf/httpd-users-200606-part", 12},
    {"ponymail-asf/httpd-users-2020-07.asf", 108},
    {"ponymail-asf/httpd-users-2020-07", 108},
    {"ponymail-asf/httpd-users-4950", 1},
    {"ponymail-asf/maven-dev-2017-11-124652-listsao", 1},
    {"ponymail-asf/maven-dev-2017-11-124652-mailarchivesao", 1},
    {"ponymail-asf/maven-dev-2017-11-124652-mboxvm", 1},
    {"ponymail-asf/maven-dev-2017-11-listsao", 320},
    {"ponymail-asf/maven-dev-2017-11-mailarchivesao", 317},
    {"ponymail-asf/maven-dev-2017-11-mboxvm", 317},
    {"ponymail-asf/maven-dev-2017-12-listsao", 222},
    {"ponymail-asf/maven_duplicates_2017_listsao_1", 10},
    {"ponymail-asf/maven_duplicates_2017_listsao_2", 10},
    {"ponymail-asf/maven_duplicates_2017_mailarchivesao", 10},
    {"ponymail-asf/maven_duplicates_2017_mboxvm", 10},
    {"ponymail-asf/nexus-html-only", 3},
    {"ponymail-asf/no_date", 1},
    {"ponymail-asf/ponymail-dev-1079-mailarchiesao", 1},
    {"ponymail-asf/ponymail-dev-1079-mboxvm", 1},
    {"ponymail-asf/ponymail-dev-1080-listsao", 1},
    {"ponymail-asf/ponymail-dev-1080-mailarchiesao", 1},
    {"ponymail-asf/ponymail-dev-1080-mboxvm", 1},
    {"ponymail-asf/text_enriched", 1},
    {"ponymail-asf/tomcat-ancient-boundary", 1},
    {"ponymail-foal/dev_ponymail_apache_org_2020-10", 1},
    {"ponymail-foal/n47hcfdt6z70tqxvnhgn3zrdwqgg36yl", 1},
    {"ponymail-foal/users_ponymail_apache_org_2019-09", 4},
    {"ponymail-foal/users_ponymail_apache_org_2022-01", 6},
};

struct MaildirFolder {
    const char* tree;
    const char* folder;  // in the cache
    const char* dir;     // below the tree
    uint64_t count;
};
const MaildirFolder kMaildirFolders[] = {
    {"dovecot-maildirpp", "INBOX", "", 108},
    {"dovecot-maildirpp", "Lists/dev@maven.apache.org", ".Lists.dev@maven\\2eapache\\2eorg", 222},
    {"dovecot-maildirpp", "Lists/dev@asterixdb.apache.org", ".Lists.dev@asterixdb\\2eapache\\2eorg", 53},
    {"dovecot-maildirpp", "Archive/2016/ponymail-commits", ".Archive.2016.ponymail-commits", 82},
    {"dovecot-maildirpp", "Listen/ImageMagick – Ärger & Co", ".Listen.ImageMagick &IBM- &AMQ-rger &- Co", 45},
    {"dovecot-maildirpp", "Отправленные", ".&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-", 5},
    {"dovecot-maildirpp", "日本語/受信箱", ".&ZeVnLIqe-.&U9dP4Xux-", 3},
    {"dovecot-maildirpp", "Drafts", ".Drafts", 3},
    {"dovecot-maildirpp", "Trash", ".Trash", 4},
    {"dovecot-maildirpp", "Junk", ".Junk", 0},
    {"notmuch-default", "INBOX", "", 28},
    {"notmuch-default", "bar", "bar", 6},
    {"notmuch-default", "bar/baz", "bar/baz", 7},
    {"notmuch-default", "foo", "foo", 6},
    {"notmuch-default", "foo/baz", "foo/baz", 6},
    {"notmuch-lkml", "INBOX", "", 210},
    {"notmuch-duplicate", "INBOX", "", 9},
};

const std::map<std::string, uint64_t> kEmlCounts = {
    {"eml/enmime", 30},
    {"eml/hyperkitty", 8},
    {"eml/mailman3", 9},
    {"eml/mime4j-mimetools", 29},
    {"eml/mime4j-testmsgs", 17},
    {"eml/mimekit-messages", 27},
    {"eml/mimekit-partial", 3},
    {"eml/nodemailer-mailparser", 7},
    {"eml/notmuch-attachment", 2},
    {"eml/notmuch-crypto", 4},
    {"eml/notmuch-html", 2},
    {"eml/notmuch-indexing", 2},
    {"eml/notmuch-insert", 1},
    {"eml/notmuch-mangling", 1},
    {"eml/notmuch-pkcs7", 1},
    {"eml/notmuch-protected-headers", 19},
    {"eml/notmuch-threading/ghost-root", 9},
    {"eml/notmuch-threading/parent-priority/cur", 3},
    {"eml/ponymail-foal", 5},
    {"eml/python-email", 47},
    {"eml/stalwart-rfc", 10},
    {"eml/zbateson-mmp", 13},
    {"malformed/dovecot-via-stalwart-malformed", 22},
    {"malformed/dovecot-via-stalwart-thirdparty", 20},
    {"malformed/enmime", 11},
    {"malformed/hyperkitty", 13},
    {"malformed/mailman3", 4},
    {"malformed/mime4j", 13},
    {"malformed/mime4j-mimetools", 17},
    {"malformed/mimekit", 5},
    {"malformed/nodemailer-mailparser", 3},
    {"malformed/notmuch-broken", 2},
    {"malformed/notmuch-broken/loop", 2},
};

// A manifest record's flags in the index's IMAP form: system flags in the
// cache's order, then the keywords sorted.
std::string imap_flags(const nlohmann::json& record) {
    const std::string letters = record.at("flags").get<std::string>();
    std::string out;
    auto add = [&](const std::string& f) { out += (out.empty() ? "" : " ") + f; };
    const std::pair<char, const char*> system[] = {{'S', "\\Seen"}, {'R', "\\Answered"}, {'F', "\\Flagged"},
                                                  {'T', "\\Deleted"}, {'D', "\\Draft"}};
    for (const auto& [c, f] : system)
        if (letters.find(c) != std::string::npos) add(f);
    std::set<std::string> keywords;
    for (const auto& k : record.at("keywords")) keywords.insert(k.get<std::string>());
    for (const auto& k : keywords) add(k);
    return out;
}

// The folder the import names after an mbox file given inside `top`: its path
// below top's parent, without .mbox (and .gz).
std::string mbox_folder(const std::string& path) {
    std::string rel = path;
    for (const char* ext : {".gz", ".mbox"})
        if (rel.size() > std::strlen(ext) && rel.compare(rel.size() - std::strlen(ext), std::string::npos, ext) == 0)
            rel.resize(rel.size() - std::strlen(ext));
    return rel;
}

// Each mbox container: its messages, in its folder (Takeout: in its label
// folders), byte for byte as the manifest's reader yields them, with their
// From_ line dates and Status: flags. Returns how many.
size_t check_mbox_containers(const std::string& gen, const std::vector<Row>& rows) {
    size_t total = 0;
    for (const auto& c : generated_manifest().at("containers")) {
        if (c.at("kind") != "mbox") continue;
        const std::string path = c.at("path");
        CAPTURE(path);
        const bool takeout = c.at("format") == "takeout";
        std::multiset<std::string> want, got;
        std::multiset<std::pair<std::string, int64_t>> want_dated, got_dated;
        for (const auto& m : c.at("messages")) {
            want.insert(m.at("sha256").get<std::string>() + (takeout ? "" : " " + imap_flags(m)));
            if (!m.at("received").is_null()) want_dated.insert({m.at("sha256"), m.at("received").get<int64_t>()});
        }
        for (const auto& r : rows) {
            if (r.server != gen + "/" + path) continue;
            CHECK(r.kind == "mbox");
            if (!takeout) CHECK(r.folder == mbox_folder(path));
            got.insert(r.sha256 + (takeout ? "" : " " + r.flags));
            if (r.received_from == "from_line") got_dated.insert({r.sha256, r.received});
        }
        CHECK(got == want);
        CHECK(got_dated == want_dated);
        total += got.size();
    }
    return total;
}

// Each Maildir folder: every file byte for byte, flags from its name, mtime as received date.
size_t check_maildir_containers(const std::string& gen, const std::vector<Row>& rows) {
    auto folders = by_folder(rows);
    size_t total = 0;
    for (const auto& c : generated_manifest().at("containers")) {
        const std::string kind = c.at("kind");
        if (kind.rfind("maildir", 0) != 0) continue;
        const std::string tree = gen + "/" + c.at("path").get<std::string>();
        for (const auto& f : c.at("folders")) {
            const std::string name = f.at("name");
            CAPTURE(tree, name);
            const auto& got = folders[{tree, name}];
            CHECK(got.size() == f.at("messages").size());
            std::map<std::string, const Row*> by_key;
            for (const auto& r : got) by_key[r.source_key] = &r;
            for (const auto& m : f.at("messages")) {
                std::string file = fs::path(m.at("file").get<std::string>()).filename().string();
                CAPTURE(file);
                auto it = by_key.find(file.substr(0, file.find(":2,")));
                REQUIRE(it != by_key.end());
                CHECK(it->second->sha256 == m.at("sha256"));
                CHECK(it->second->flags == imap_flags(m));
                CHECK(it->second->received == m.at("received").get<int64_t>());
                CHECK(it->second->received_from == "mtime");
            }
            total += got.size();
        }
    }
    return total;
}

// Each folder of message files: every distinct message once.
size_t check_message_file_containers(const std::string& gen, const std::vector<Row>& rows) {
    auto folders = by_folder(rows);
    size_t total = 0;
    for (const auto& c : generated_manifest().at("containers")) {
        if (c.at("kind") != "eml-folder") continue;
        const std::string path = c.at("path");
        CAPTURE(path);
        const auto& got = folders[{gen + "/" + path.substr(0, path.find('/')), path}];
        std::set<std::string> want;
        for (const auto& m : c.at("messages")) want.insert(m.at("sha256").get<std::string>());
        std::multiset<std::string> cached = shas(got);
        CHECK(std::set<std::string>(cached.begin(), cached.end()) == want);
        CHECK(cached.size() == want.size());
        total += got.size();
    }
    return total;
}

}  // namespace

TEST_CASE("import caches every mailbox of the generated corpus as its manifest says: bytes, flags and dates",
          "[import][corpus]") {
    TempDir t;
    const std::string gen = abs(generated_corpus_dir());
    std::string cache = t / "cache";
    std::vector<std::string> paths = {gen + "/mbox", gen + "/eml", gen + "/malformed"};
    for (const auto& c : generated_manifest().at("containers"))
        if (c.at("kind").get<std::string>().rfind("maildir", 0) == 0)
            paths.push_back(gen + "/" + c.at("path").get<std::string>());
    auto first = import(cache, paths, {"--json"});
    INFO(first.err);
    // The truncated mbox is an error (the good messages before the cut are imported); the rest warnings at most.
    REQUIRE(first.exit_code == 1);
    CHECK(first.err.find("truncated.mbox") != std::string::npos);
    const auto rows = rows_of(cache);
    const size_t total = check_mbox_containers(gen, rows) + check_maildir_containers(gen, rows) +
                         check_message_file_containers(gen, rows);
    CHECK(rows.size() == total);
    CHECK(first.out.find("\"new_messages\": " + std::to_string(rows.size())) != std::string::npos);
    require_consistent(cache);

    auto second = import(cache, paths, {"--json"});
    INFO(second.err);
    CHECK(second.exit_code == first.exit_code);
    CHECK(second.out.find("\"new_messages\": 0") != std::string::npos);
    CHECK(second.out.find("\"flags_refreshed\": 0") != std::string::npos);
    CHECK(rows_of(cache) == rows);
}

TEST_CASE("a directory of Maildirs imports as one tree, each Maildir a folder", "[import][maildir]") {
    TempDir t;
    std::string cache = t / "cache";
    const std::string src = abs(generated_corpus_dir() + "/maildir");
    auto r = import(cache, {src});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto folders = by_folder(rows_of(cache));
    CHECK(folders[{src, "dovecot-maildirpp"}].size() == manifest_folder_count(kMaildirppContainer, "INBOX"));
    CHECK(folders[{src, "dovecot-maildirpp/Lists/dev@example.org"}].size() ==
          manifest_folder_count(kMaildirppContainer, "Lists/dev@example.org"));
    CHECK(folders[{src, "fs-layout/foo/baz"}].size() == manifest_folder_count("maildir/fs-layout", "foo/baz"));
    size_t all = 0;
    for (const auto& c : generated_manifest().at("containers"))
        if (c.at("kind").get<std::string>().rfind("maildir", 0) == 0) all += manifest_message_count(c.at("path"));
    CHECK(rows_of(cache).size() == all);
}

// Real mail: every file of the dev corpus, with counts established by hand
// (above): what real archives, real Dovecot trees and real broken mail do to the import.
TEST_CASE("real mail: import caches every mailbox of the dev corpus: counts, bytes, flags and dates",
          "[import][corpus][real]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(real);
    TempDir t;
    const std::string dev = abs(real);
    auto mtimes = copy_maildirs(dev + "/maildir", t / "maildir");
    std::string cache = t / "cache";
    std::vector<std::string> paths = {dev + "/mbox", dev + "/eml", dev + "/malformed"};
    for (const char* tree : {"dovecot-maildirpp", "notmuch-default", "notmuch-lkml", "notmuch-duplicate"})
        paths.push_back(t / ("maildir/" + std::string(tree)));
    auto first = import(cache, paths, {"--json"});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);  // warnings only: the duplicate message files
    auto rows = rows_of(cache);
    auto folders = by_folder(rows);
    uint64_t total = 0;

    SECTION("mbox: one folder per file, the reader's messages byte for byte") {
        for (const auto& [rel, count] : kMboxCounts) {
            CAPTURE(rel);
            std::string file = dev + "/mbox/" + rel + ".mbox";
            const auto& got = folders[{file, "mbox/" + rel}];
            CHECK(got.size() == count);
            std::multiset<std::string> want;
            for (const auto& m : mbox_messages(file)) want.insert(wrap::sha256_hex(m));
            CHECK(shas(got) == want);
            for (const auto& r : got) {
                CHECK(r.kind == "mbox");
                CHECK(r.source_key.find(":" + r.sha256) != std::string::npos);
                CHECK((r.received_from == "from_line" || r.received_from == "date" || r.received_from == "mtime"));
            }
            total += got.size();
        }
        CHECK(total == 1756);
    }
    SECTION("Maildir: folders decoded, every file byte for byte, flags from the name, mtime as received date") {
        for (const auto& f : kMaildirFolders) {
            CAPTURE(f.tree, f.folder);
            std::string dir = t / ("maildir/" + std::string(f.tree) + (*f.dir ? "/" : "") + f.dir);
            const auto& got = folders[{t / ("maildir/" + std::string(f.tree)), f.folder}];
            CHECK(got.size() == f.count);
            std::map<std::string, const Row*> by_key;
            for (const auto& r : got) by_key[r.source_key] = &r;
            auto keywords = keywords_of(dir);
            std::multiset<std::string> want;
            for (const auto& file : maildir_files(dir)) {
                std::string name = fs::path(file).filename().string();
                std::string key = name.substr(0, name.find(":2,"));
                CAPTURE(file);
                want.insert(sha256_of_file(file));
                REQUIRE(by_key.count(key));
                const Row& r = *by_key[key];
                CHECK(r.flags == expected_flags(file, keywords));
                CHECK(r.received == mtimes.at(file));
                CHECK(r.received_from == "mtime");
                CHECK(mtime_of(cache + "/" + r.path) == mtimes.at(file));
            }
            CHECK(shas(got) == want);
            total += got.size();
        }
        CHECK(total == 797);
    }
    SECTION("message files: a folder per directory, each message once") {
        for (const auto& [folder, count] : kEmlCounts) {
            CAPTURE(folder);
            std::string top = folder.substr(0, folder.find('/'));
            const auto& got = folders[{dev + "/" + top, folder}];
            CHECK(got.size() == count);
            std::set<std::string> want;
            for (const auto& e : fs::directory_iterator(dev + "/" + folder)) {
                if (!e.is_regular_file()) continue;
                std::string bytes = slurp(e.path().string());
                if (bytes.rfind("From ", 0) == 0) bytes = bytes.substr(bytes.find('\n') + 1);  // the mbox envelope
                want.insert(wrap::sha256_hex(bytes));
            }
            std::multiset<std::string> cached = shas(got);
            CHECK(std::set<std::string>(cached.begin(), cached.end()) == want);
            CHECK(cached.size() == want.size());
            total += got.size();
        }
        CHECK(total == 249 + 112);
    }
    SECTION("importing again adds nothing and changes nothing") {
        auto second = import(cache, paths, {"--json"});
        INFO(second.err);
        REQUIRE(second.exit_code == 0);
        CHECK(second.out.find("\"new_messages\": 0") != std::string::npos);
        CHECK(second.out.find("\"flags_refreshed\": 0") != std::string::npos);
        CHECK(rows_of(cache) == rows);
    }
    CHECK(rows.size() == 1756 + 797 + 249 + 112);
    CHECK(first.out.find("\"new_messages\": " + std::to_string(rows.size())) != std::string::npos);
    require_consistent(cache);
}
