// mailferry import: every mailbox of the dev corpus into a cache, with the
// real binary; no server needed.
//
// The pinned counts, and how they were established:
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

#include <sqlite3.h>
#include <sys/stat.h>
#include <utime.h>
#include <zlib.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "formats/mbox/mbox_reader.hpp"
#include "support.hpp"
#include "test_dovecot.hpp"
#include "wrap/sha256.hpp"
#include "test_files.hpp"

using namespace mailferry;
using namespace mailferry::test;
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

void spill(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

void set_mtime(const std::string& path, int64_t t) {
    struct utimbuf times {static_cast<time_t>(t), static_cast<time_t>(t)};
    REQUIRE(utime(path.c_str(), &times) == 0);
}

// One message row of the cache, with its source and folder.
struct Row {
    std::string kind, server, folder, sha256, flags, path, source_key, received_from;
    uint64_t size = 0;
    int64_t received = 0;
    uint32_t uid = 0;
    bool gone = false;
    bool operator==(const Row&) const = default;
};

std::vector<Row> rows_of(const std::string& cache) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((cache + "/index.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT s.kind, s.server, f.name, m.sha256, m.flags, m.path, coalesce(m.source_key, ''), "
                               "m.received_from, m.size, m.received_at, m.uid, m.gone FROM messages m "
                               "JOIN folders f ON f.id = m.folder_id JOIN sources s ON s.id = f.source_id "
                               "ORDER BY s.server, f.name, m.uid",
                               -1, &st, nullptr) == SQLITE_OK);
    std::vector<Row> rows;
    auto text = [&](int c) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c))); };
    while (sqlite3_step(st) == SQLITE_ROW) {
        Row r{text(0), text(1), text(2), text(3), text(4), text(5), text(6), text(7)};
        r.size = static_cast<uint64_t>(sqlite3_column_int64(st, 8));
        r.received = sqlite3_column_int64(st, 9);
        r.uid = static_cast<uint32_t>(sqlite3_column_int64(st, 10));
        r.gone = sqlite3_column_int64(st, 11) != 0;
        rows.push_back(std::move(r));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

// (source path, folder name) -> its rows
std::map<std::pair<std::string, std::string>, std::vector<Row>> by_folder(const std::vector<Row>& rows) {
    std::map<std::pair<std::string, std::string>, std::vector<Row>> out;
    for (const auto& r : rows) out[{r.server, r.folder}].push_back(r);
    return out;
}

std::multiset<std::string> shas(const std::vector<Row>& rows) {
    std::multiset<std::string> out;
    for (const auto& r : rows) out.insert(r.sha256);
    return out;
}

std::vector<std::string> mbox_messages(const std::string& path) {
    std::vector<std::string> out;
    mbox::MboxReader reader(path);
    (void)reader.read([&](const mbox::MboxMessage& m) {
        out.emplace_back(m.bytes);
        return Status{};
    });
    return out;
}

// The message files of one Maildir folder directory, as the Maildir spec and
// notmuch's corpus have them: cur/, new/, and files with ":2," beside them.
std::vector<std::string> maildir_files(const std::string& dir) {
    std::vector<std::string> out;
    for (const char* sub : {"/cur", "/new"}) {
        if (!fs::is_directory(dir + sub)) continue;
        for (const auto& e : fs::directory_iterator(dir + sub)) out.push_back(e.path().string());
    }
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().filename().string().find(":2,") != std::string::npos)
            out.push_back(e.path().string());
    return out;
}

// The flags a Maildir file name says, in the index's IMAP form.
std::string expected_flags(const std::string& file, const std::map<char, std::string>& keywords) {
    std::string name = fs::path(file).filename().string();
    size_t info = name.find(":2,");
    std::string letters = info == std::string::npos ? "" : name.substr(info + 3);
    std::string out;
    auto add = [&](const std::string& f) { out += (out.empty() ? "" : " ") + f; };
    const std::pair<char, const char*> system[] = {{'S', "\\Seen"}, {'R', "\\Answered"}, {'F', "\\Flagged"},
                                                  {'T', "\\Deleted"}, {'D', "\\Draft"}};
    for (const auto& [c, f] : system)
        if (letters.find(c) != std::string::npos) add(f);
    std::set<std::string> kw;
    for (char c : letters)
        if (keywords.count(c)) kw.insert(keywords.at(c));
    for (const auto& k : kw) add(k);
    return out;
}

std::map<char, std::string> keywords_of(const std::string& dir) {
    std::map<char, std::string> out;
    std::ifstream in(dir + "/dovecot-keywords");
    int n;
    std::string kw;
    while (in >> n >> kw) out[static_cast<char>('a' + n)] = kw;
    return out;
}

// The path as the import records it (absolute, normalised).
std::string abs(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

// A writable copy of the corpus' Maildir trees (which are read-only), every
// message file with an mtime of its own.
std::map<std::string, int64_t> copy_maildirs(const std::string& to) {
    fs::path from = corpus_dir() + "/maildir";
    fs::create_directories(to);
    std::vector<fs::path> all;
    for (const auto& e : fs::recursive_directory_iterator(from)) {
        fs::path target = fs::path(to) / fs::relative(e.path(), from);
        if (e.is_directory()) {
            fs::create_directories(target);
        } else if (e.is_regular_file()) {
            spill(target.string(), slurp(e.path().string()));
            all.push_back(target);
        }
    }
    std::sort(all.begin(), all.end());
    std::map<std::string, int64_t> mtimes;
    int64_t t = 946684800;  // 2000-01-01
    for (const auto& p : all) {
        std::string parent = p.parent_path().filename().string();
        if (parent != "cur" && parent != "new" && p.filename().string().find(":2,") == std::string::npos) continue;
        t += 3607;
        int64_t when = mtimes.empty() ? -31536000 : t;  // one before 1970, as in the corpus
        set_mtime(p.string(), when);
        mtimes[p.string()] = when;
    }
    return mtimes;
}

// (SHA-256, flags in the index's form, received date) of every row: what a round trip must keep.
std::multiset<std::tuple<std::string, std::string, int64_t>> flags_and_dates(const std::vector<Row>& rows) {
    std::multiset<std::tuple<std::string, std::string, int64_t>> out;
    for (const auto& r : rows) out.insert({r.sha256, r.flags, r.received});
    return out;
}

bool has_keyword(const std::string& flags) {
    std::istringstream in(flags);
    for (std::string f; in >> f;)
        if (f[0] != '\\') return true;
    return false;
}

// Every message file below a Maildir++ tree written as Dovecot writes one: the
// ":2," info is system letters (ASCII order) then keyword letters (ASCII order),
// each keyword letter given by the folder's dovecot-keywords.
bool keyword_letters_ok(const std::string& root) {
    bool ok = true;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_regular_file() || e.path().parent_path().filename() != "cur") continue;
        std::string name = e.path().filename().string();
        std::string info = name.substr(name.find(":2,") + 3);
        auto keywords = keywords_of(e.path().parent_path().parent_path().string());
        std::string system = info.substr(0, info.find_first_of("abcdefghijklmnopqrstuvwxyz"));
        std::string letters = info.substr(system.size());
        bool good = std::is_sorted(system.begin(), system.end()) && std::is_sorted(letters.begin(), letters.end()) &&
                    std::adjacent_find(letters.begin(), letters.end()) == letters.end() &&
                    system.find_first_not_of("DFRST") == std::string::npos;
        for (char c : letters) good = good && keywords.count(c);
        if (!good) UNSCOPED_INFO("bad info in " << e.path());
        ok = ok && good;
    }
    return ok;
}

std::vector<fs::path> sorted_files(const std::string& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// One corpus Maildir folder (read-only) as a writable Maildir of its own: cur/ and new/ with their mtimes.
void copy_folder(const std::string& from, const std::string& to) {
    for (const char* sub : {"/cur", "/new", "/tmp"}) {
        fs::create_directories(to + sub);
        if (!fs::is_directory(from + sub)) continue;
        for (const auto& f : sorted_files(from + sub)) {
            std::string target = to + sub + "/" + f.filename().string();
            spill(target, slurp(f.string()));
            set_mtime(target, mtime_of(f.string()));
        }
    }
}

RunResult import(const std::string& cache, std::vector<std::string> paths, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"import", cache};
    args.insert(args.end(), paths.begin(), paths.end());
    args.push_back("--no-progress");
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mailferry(args);
}

// No index row without its file, no message file without its row; each file holds the bytes its row says.
void require_consistent(const std::string& cache) {
    auto rows = rows_of(cache);
    std::set<std::string> indexed;
    for (const auto& r : rows) {
        indexed.insert(r.path);
        CHECK(sha256_of_file(cache + "/" + r.path) == r.sha256);
        CHECK(mtime_of(cache + "/" + r.path) == r.received);
    }
    CHECK(indexed.size() == rows.size());
    CHECK(message_files(cache) == indexed);
}

}  // namespace

TEST_CASE("import caches every mailbox of the dev corpus: counts, bytes, flags and dates", "[import][corpus]") {
    TempDir t;
    auto mtimes = copy_maildirs(t / "maildir");
    std::string dev = abs(corpus_dir());
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

TEST_CASE("a directory of Maildirs imports as one tree, each Maildir a folder", "[import][maildir]") {
    TempDir t;
    std::string cache = t / "cache";
    auto r = import(cache, {corpus_dir() + "/maildir"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto folders = by_folder(rows_of(cache));
    std::string src = abs(corpus_dir() + "/maildir");
    CHECK(folders[{src, "dovecot-maildirpp"}].size() == 108);
    CHECK(folders[{src, "dovecot-maildirpp/Lists/dev@maven.apache.org"}].size() == 222);
    CHECK(folders[{src, "notmuch-default/foo/baz"}].size() == 6);
    CHECK(rows_of(cache).size() == 797);
}

TEST_CASE("an mbox appended to: only the new messages are imported", "[import][mbox]") {
    TempDir t;
    std::string dev = corpus_dir() + "/mbox/ponymail-asf/";
    std::string a = slurp(dev + "maven_duplicates_2017_listsao_1.mbox");
    std::string b = slurp(dev + "httpd-users-200606-part.mbox");
    std::string file = t / "list.mbox";
    spill(file, a);
    std::string cache = t / "cache";
    REQUIRE(import(cache, {file}).exit_code == 0);
    auto before = rows_of(cache);
    REQUIRE(before.size() == 10);
    spill(file, a + b);
    auto again = import(cache, {file}, {"--json"});
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(again.out.find("\"new_messages\": 12") != std::string::npos);
    auto after = rows_of(cache);
    REQUIRE(after.size() == 22);
    CHECK(std::vector<Row>(after.begin(), after.begin() + 10) == before);
    CHECK(after[10].uid == 11);
    CHECK(after[10].folder == "list");
}

TEST_CASE("a Maildir changed by a mail client: new mail, flags changed, mail deleted", "[import][maildir]") {
    TempDir t;
    copy_maildirs(t / "maildir");
    std::string tree = t / "maildir/notmuch-lkml";
    std::string cache = t / "cache";
    REQUIRE(import(cache, {tree}).exit_code == 0);
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(tree + "/cur")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    fs::rename(files[0], files[0].string() + "FS");  // "...:2," -> "...:2,FS"
    fs::remove(files[1]);
    fs::create_directories(tree + "/new");
    spill(tree + "/new/9999999999.new.host", "Subject: new\n\nbody\n");
    auto r = import(cache, {tree}, {"--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("\"new_messages\": 1,") != std::string::npos);
    CHECK(r.out.find("\"flags_refreshed\": 1,") != std::string::npos);
    CHECK(r.out.find("\"gone\": 1,") != std::string::npos);
    std::string changed = files[0].filename().string();
    changed = changed.substr(0, changed.find(":2,"));
    for (const auto& row : rows_of(cache)) {
        if (row.source_key == changed) {
            CHECK(row.flags == "\\Seen \\Flagged");
            CHECK(row.path.find(":2,FS") != std::string::npos);
        }
    }
    require_consistent(cache);
}

TEST_CASE("a broken gzip and a truncated mbox: exit 1, one line each, every good message imported", "[import][errors]") {
    TempDir t;
    std::string whole = slurp(corpus_dir() + "/mbox/ponymail-asf/maven-dev-2017-12-listsao.mbox");
    std::string gz = gzip(whole);
    spill(t / "broken.mbox.gz", gz.substr(0, gz.size() / 2));
    spill(t / "truncated.mbox", whole.substr(0, whole.size() * 3 / 5));
    for (const char* name : {"broken.mbox.gz", "truncated.mbox"}) {
        CAPTURE(name);
        std::string file = t / name;
        std::string cache = t / ("cache-" + std::string(name));
        auto r = import(cache, {file});
        INFO(r.err);
        CHECK(r.exit_code == 1);
        // The reader's messages: each complete one before the damage (and, in a plain file, the cut one).
        size_t good = mbox_messages(file).size();
        CHECK(good > 50);
        CHECK(rows_of(cache).size() == good);
        // "error: FILE:OFFSET: ..." or "error: file FILE: ... offset N ...".
        bool named = false;
        std::istringstream lines(r.err);
        for (std::string line; std::getline(lines, line);) {
            size_t at = line.find(file);
            if (line.rfind("error: ", 0) != 0 || at == std::string::npos) continue;
            size_t after = at + file.size();
            named |= line.find("offset") != std::string::npos ||
                     (after + 1 < line.size() && line[after] == ':' && std::isdigit(static_cast<unsigned char>(line[after + 1])));
        }
        CHECK(named);
        require_consistent(cache);
    }
}

TEST_CASE("bad input never crashes the import: empty, From_ line only, NUL bytes, CR only, garbage", "[import][errors]") {
    TempDir t;
    const std::string from = "From a@example.org Sat Jan  1 00:00:00 2011\n";
    struct Case {
        const char* name;
        std::string bytes;
        size_t messages;
        int exit_code;
    };
    const Case cases[] = {
        {"empty.mbox", "", 0, 0},
        {"from-only.mbox", from, 0, 1},
        {"nul.mbox", from + std::string("Subject: nul\n\na\0b\n", 18), 1, 0},
        {"cr-only.mbox", "From a@example.org Sat Jan  1 00:00:00 2011\rSubject: mac\r\rbody\r", 1, 0},
        {"garbage.mbox.gz", std::string("\x1f\x8b\x08\x00garbage", 12), 0, 1},
        {"binary.eml", std::string("\0\1\2\3", 4), 1, 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        spill(t / c.name, c.bytes);
        std::string cache = t / ("cache-" + std::string(c.name));
        auto r = import(cache, {t / c.name});
        INFO(r.err);
        CHECK(r.exit_code == c.exit_code);
        CHECK(rows_of(cache).size() == c.messages);
        if (c.exit_code != 0) CHECK(r.err.find(t / c.name) != std::string::npos);
    }
}

TEST_CASE("a Google Takeout mbox: labels as folders, first or copy", "[import][takeout]") {
    TempDir t;
    const std::string from = "From 1700000000000000001@xxx Tue Mar 01 12:00:00 +0000 2022\n";
    std::string mbox;
    for (const char* labels : {"Inbox,Important,Opened", "Sent,Opened", "Work/Projekte,Inbox,Unread,Starred",
                               "Archived,Category Updates,Opened", "Spam,Unread", "Opened"}) {
        mbox += from + "X-Gmail-Labels: " + labels + "\nSubject: " + labels + "\n\nbody\n\n";
    }
    std::string file = t / "All mail Including Spam and Trash.mbox";
    spill(file, mbox);

    std::string first = t / "first";
    auto r = import(first, {file});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::map<std::string, size_t> count;
    for (const auto& row : rows_of(first)) ++count[row.folder];
    CHECK(count == std::map<std::string, size_t>{{"INBOX", 1}, {"Sent", 1}, {"Work/Projekte", 1}, {"Archived", 1},
                                                 {"Spam", 1}, {"All mail Including Spam and Trash", 1}});
    auto folders = read_cache_folders(first);
    CHECK(folders["Sent"].role == "\\Sent");
    CHECK(folders["Spam"].role == "\\Junk");
    CHECK(folders["Archived"].role == "\\Archive");
    for (const auto& row : rows_of(first)) {
        if (row.folder == "Work/Projekte") CHECK(row.flags == "\\Flagged");
        if (row.folder == "INBOX") CHECK(row.flags == "\\Seen");
    }

    std::string copy = t / "copy";
    REQUIRE(import(copy, {file}, {"--labels-as-folders", "copy"}).exit_code == 0);
    count.clear();
    for (const auto& row : rows_of(copy)) ++count[row.folder];
    CHECK(count == std::map<std::string, size_t>{{"INBOX", 2}, {"Sent", 1}, {"Work/Projekte", 1}, {"Archived", 1},
                                                 {"Spam", 1}, {"All mail Including Spam and Trash", 1}});
    require_consistent(copy);
}

TEST_CASE("import names folders after its paths, or --folder", "[import]") {
    TempDir t;
    std::string dev = corpus_dir();
    std::string cache = t / "cache";
    auto r = import(cache, {dev + "/mbox/perl-mail-box/mbox.src.mbox", dev + "/eml/python-email/msg_01.txt"},
                    {"--folder", "Alt/2000"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& row : rows_of(cache)) seen.insert({row.kind, row.folder});
    CHECK(seen == std::set<std::pair<std::string, std::string>>{{"mbox", "Alt/2000"}, {"eml", "Alt/2000"}});
    auto usage = import(t / "other", {dev + "/mbox/mimekit/simple.mbox"}, {"--format", "maildir"});
    CHECK(usage.exit_code == 2);
    CHECK_FALSE(fs::exists(t / "other"));
    CHECK(import(t / "other", {dev + "/no/such/file"}).exit_code == 2);
}

TEST_CASE("import killed at 15 random moments ends with the cache of an uninterrupted run", "[import][crash]") {
    TempDir t;
    // 3000 messages in an mbox, and a Maildir of 1000: enough batches to be killed in the middle of.
    std::string mbox;
    std::mt19937 rng(20261126);
    for (int i = 0; i < 3000; ++i) {
        mbox += "From list@example.org Sat Jan  1 00:00:00 2011\nMessage-ID: <" + std::to_string(i) +
                "@test>\nSubject: message " + std::to_string(i) + "\n\n";
        for (int l = 0; l < 40; ++l) mbox += std::to_string(rng()) + " the quick brown fox\n";
        mbox += "\n";
    }
    spill(t / "big.mbox", mbox);
    fs::create_directories(t / "md/cur");
    for (int i = 0; i < 1000; ++i)
        spill(t / ("md/cur/" + std::to_string(1000000 + i) + ".x.host:2,S"), "Subject: " + std::to_string(i) + "\n\nbody\n");
    std::vector<std::string> paths = {t / "big.mbox", t / "md"};

    std::string reference = t / "reference";
    auto started = std::chrono::steady_clock::now();
    REQUIRE(import(reference, paths).exit_code == 0);
    auto full_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();

    std::string cache = t / "killed";
    std::vector<std::string> args = {"import", cache};
    args.insert(args.end(), paths.begin(), paths.end());
    args.push_back("--no-progress");
    int killed_mid_run = 0;
    for (int i = 0; i < 15; ++i) {
        pid_t pid = spawn_mailferry(args);
        std::uniform_int_distribution<long> when(0, full_us);
        std::this_thread::sleep_for(std::chrono::microseconds(when(rng)));
        if (::kill(pid, SIGKILL) == 0) ++killed_mid_run;
        wait_for(pid);
    }
    CAPTURE(killed_mid_run);
    auto last = import(cache, paths);
    INFO(last.err);
    REQUIRE(last.exit_code == 0);
    // Every row as in the reference, source keys included; a file adopted after a
    // kill cannot know where its received date came from (received_from).
    auto strip = [](std::vector<Row> rows) {
        for (auto& r : rows) r.received_from.clear();
        return rows;
    };
    CHECK(strip(rows_of(cache)) == strip(rows_of(reference)));
    require_consistent(cache);
}

namespace {

struct Measured {
    int exit_code = -1;
    std::string err;
    long max_rss_kb = 0;  // the child's peak resident set (getrusage's ru_maxrss)
    double seconds = 0;
};

// Runs mailferry as run_mailferry does, and measures its peak memory with wait4().
Measured run_measured(const std::vector<std::string>& args, const std::string& err_file) {
    auto started = std::chrono::steady_clock::now();
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(null, 0);
        dup2(null, 1);
        dup2(err, 2);
        std::vector<char*> argv = {const_cast<char*>(MAILFERRY_BINARY)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(MAILFERRY_BINARY, argv.data());
        _exit(127);
    }
    int status = 0;
    struct rusage usage {};
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    Measured m;
    m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    m.err = slurp(err_file);
    m.max_rss_kb = usage.ru_maxrss;
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return m;
}

// Streams pieces into a file and a SHA-256 at once: the 200 MB message is never whole in the test.
class HashingWriter {
public:
    explicit HashingWriter(const std::string& path) : out_(path, std::ios::binary | std::ios::trunc) {
        REQUIRE(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1);
    }
    ~HashingWriter() { EVP_MD_CTX_free(ctx_); }
    void write(const std::string& bytes, bool hashed) {
        out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        REQUIRE(out_.good());
        if (hashed) REQUIRE(EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) == 1);
    }
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        REQUIRE(EVP_DigestFinal_ex(ctx_, md, &len) == 1);
        std::string out;
        char buf[3];
        for (unsigned i = 0; i < len; ++i) {
            std::snprintf(buf, sizeof buf, "%02x", md[i]);
            out += buf;
        }
        out_.close();
        return out;
    }

private:
    std::ofstream out_;
    EVP_MD_CTX* ctx_ = EVP_MD_CTX_new();
};

#ifdef __SANITIZE_ADDRESS__
constexpr bool kSanitized = true;  // ASan's shadow memory and quarantine inflate the resident set
#else
constexpr bool kSanitized = false;
#endif

}  // namespace

// Issue 5's bad input: "a 200 MB message: every good message imported, nothing lost".
TEST_CASE("a 200 MB message between two small ones: imported whole, memory bounded, exported back",
          "[import][export][big]") {
    TempDir t;
    const std::string mbox = t / "big.mbox";
    std::string big_sha;
    uint64_t big_size = 0;
    {
        HashingWriter w(mbox);
        w.write("From a@example.org Sat Jan  1 00:00:00 2011\nSubject: small one\nMessage-ID: <s1@test>\n\nsmall\n\n",
                false);
        w.write("From b@example.org Sun Jan  2 00:00:00 2011\n", false);
        const std::string head = "Subject: 200 MB\nMessage-ID: <big@test>\nContent-Type: text/plain\n\n";
        w.write(head, true);
        // 25 MB of 79-byte lines, eight times: no line starts with "From ".
        const std::string line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempo\n";
        std::string piece;
        piece.reserve(25u << 20);
        while (piece.size() + line.size() <= (25u << 20)) piece += line;
        for (int i = 0; i < 8; ++i) w.write(piece, true);
        big_size = head.size() + 8 * piece.size();
        w.write("\nFrom c@example.org Mon Jan  3 00:00:00 2011\nSubject: small two\n\nsmall\n", false);
        big_sha = w.hex();
    }
    REQUIRE(big_size > 200u * 1000 * 1000);

    const std::string cache = t / "cache";
    auto imported = run_measured({"import", cache, mbox, "--no-index", "--no-progress"}, t / "import.err");
    INFO(imported.err);
    INFO("import: " << imported.seconds << " s, peak RSS " << imported.max_rss_kb / 1024 << " MB");
    REQUIRE(imported.exit_code == 0);
    auto rows = rows_of(cache);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].size < 100);
    CHECK(rows[2].size < 100);
    CHECK(rows[1].size == big_size);
    CHECK(rows[1].sha256 == big_sha);
    auto on_disk = wrap::sha256_file(cache + "/" + rows[1].path);
    REQUIRE(on_disk.ok());
    CHECK(on_disk->hex == big_sha);
    CHECK(on_disk->size == big_size);
    // The pipeline holds a message whole (the splitter's buffer, and the
    // cursor's copy of it): about twice its size, never the whole file more.
    if (!kSanitized) CHECK(imported.max_rss_kb < 3 * static_cast<long>(big_size / 1024));

    auto exported = run_measured({"export", cache, t / "out", "--format", "mboxrd", "--no-progress"}, t / "export.err");
    INFO(exported.err);
    INFO("export: " << exported.seconds << " s, peak RSS " << exported.max_rss_kb / 1024 << " MB");
    REQUIRE(exported.exit_code == 0);
    auto back = run_measured({"import", t / "back", t / "out/big.mbox", "--format", "mbox", "--mbox-variant", "mboxrd",
                              "--no-index", "--no-progress"},
                             t / "back.err");
    INFO(back.err);
    REQUIRE(back.exit_code == 0);
    CHECK(shas(rows_of(t / "back")) == shas(rows));
    if (!kSanitized) CHECK(exported.max_rss_kb < 3 * static_cast<long>(big_size / 1024));
}

TEST_CASE("round trips: mbox, Maildir and EML through the cache and back give the same messages",
          "[import][export][roundtrip]") {
    TempDir t;
    const std::string corpus = corpus_dir();
    auto run_export = [&](const std::string& cache, const std::string& dest, const std::string& format) {
        auto r = run_mailferry({"export", cache, dest, "--format", format, "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    };
    SECTION("mbox -> cache -> mboxrd -> cache: the same SHA-256 multiset") {
        std::vector<std::string> files;
        for (fs::recursive_directory_iterator it(corpus + "/mbox"), end; it != end; ++it)
            if (fs::is_regular_file(it->path())) files.push_back(it->path().string());
        REQUIRE(import(t / "a", files).exit_code <= 1);  // the corpus holds broken entries on purpose
        run_export(t / "a", t / "mbox", "mboxrd");
        std::vector<std::string> exported;
        for (fs::recursive_directory_iterator it(t / "mbox"), end; it != end; ++it)
            if (fs::is_regular_file(it->path())) exported.push_back(it->path().string());
        REQUIRE(import(t / "b", exported, {"--format", "mbox", "--mbox-variant", "mboxrd"}).exit_code == 0);
        CHECK(shas(rows_of(t / "b")) == shas(rows_of(t / "a")));
    }
    SECTION("Maildir -> cache -> Maildir: bytes, flags, keywords and dates") {
        REQUIRE(import(t / "a", {corpus + "/maildir/dovecot-maildirpp"}).exit_code == 0);
        run_export(t / "a", t / "md", "maildir");
        REQUIRE(import(t / "b", {t / "md"}).exit_code == 0);
        auto a = rows_of(t / "a"), b = rows_of(t / "b");
        CHECK(shas(b) == shas(a));
        CHECK(flags_and_dates(b) == flags_and_dates(a));
        // The corpus' keywords ($Forwarded in INBOX, Wichtig in the maven list) made it.
        size_t with_keywords = std::count_if(a.begin(), a.end(), [](const Row& r) { return has_keyword(r.flags); });
        CHECK(with_keywords >= 4);
        CHECK(keywords_of(t / "md") == std::map<char, std::string>{{'a', "$Forwarded"}});
        CHECK(keywords_of(t / "md/.Lists.dev@maven\\2eapache\\2eorg") == std::map<char, std::string>{{'a', "Wichtig"}});
        CHECK(keyword_letters_ok(t / "md"));
    }
    SECTION("Maildir with keywords of its own -> cache -> Maildir: every keyword, Dovecot's letters") {
        // A copy of one corpus folder as the INBOX of a tree of its own, with
        // six keywords (a gap at index 3) spread over its messages.
        const std::string src = t / "kw";
        copy_folder(corpus + "/maildir/dovecot-maildirpp/.Lists.dev@asterixdb\\2eapache\\2eorg", src);
        spill(src + "/dovecot-keywords", "0 $Forwarded\n1 Projekt-X\n2 $Junk\n4 NonJunk\n5 $MDNSent\n6 todo\n");
        const std::string letters[] = {"a", "bc", "abeg", "", "f", "abcefg", "g"};
        size_t n = 0;
        for (const auto& file : sorted_files(src + "/cur")) {
            std::string name = file.filename().string();
            if (name.find(":2,") == std::string::npos) name += ":2,";
            fs::rename(file, file.parent_path() / (name + letters[n++ % 7]));
        }
        REQUIRE(import(t / "a", {src}).exit_code == 0);
        // Killed as the first message file is renamed into cur/: dovecot-keywords is already there, whole.
        auto killed = run_mailferry({"export", t / "a", t / "killed", "--format", "maildir", "--no-progress"},
                                    {{"MAILFERRY_FAILPOINT", "maildir.renamed:1"}});
        CHECK(killed.exit_code == 128 + SIGKILL);
        CHECK(sorted_files(t / "killed/cur").size() == 1);
        CHECK(keywords_of(t / "killed").size() == 6);
        CHECK(keyword_letters_ok(t / "killed"));
        run_export(t / "a", t / "md", "maildir");
        REQUIRE(import(t / "b", {t / "md"}).exit_code == 0);
        auto a = rows_of(t / "a"), b = rows_of(t / "b");
        REQUIRE(a.size() == 53);
        CHECK(shas(b) == shas(a));
        CHECK(flags_and_dates(b) == flags_and_dates(a));
        std::set<std::string> all;
        for (const auto& r : a) {
            std::istringstream in(r.flags);
            for (std::string f; in >> f;)
                if (f[0] != '\\') all.insert(f);
        }
        CHECK(all == std::set<std::string>{"$Forwarded", "Projekt-X", "$Junk", "NonJunk", "$MDNSent", "todo"});
        CHECK(keywords_of(t / "md").size() == 6);
        CHECK(keyword_letters_ok(t / "md"));
    }
    SECTION("more than 26 keywords in a folder: the rarest without a letter, one warning") {
        // "common" on every message, k01..k27 one message each: 28 keywords.
        std::string mbox;
        for (int i = 1; i <= 27; ++i) {
            std::string k = (i < 10 ? "k0" : "k") + std::to_string(i);
            mbox += "From a@example.org Sat Jan  1 00:00:00 2011\nX-Keywords: common, " + k + "\nSubject: " + k +
                    "\n\nbody " + k + "\n\n";
        }
        spill(t / "many.mbox", mbox);
        REQUIRE(import(t / "a", {t / "many.mbox"}).exit_code == 0);
        auto r = run_mailferry({"export", t / "a", t / "md", "--format", "maildir", "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);  // a loss in the export only: the cache keeps them
        CHECK(r.err.find("warning: many: 2 keywords without a Maildir letter") != std::string::npos);
        CHECK(r.err.find("on 2 messages: k26, k27") != std::string::npos);
        REQUIRE(import(t / "b", {t / "md/.many"}).exit_code == 0);
        std::multiset<std::string> want, got;
        for (const auto& row : rows_of(t / "a"))
            want.insert(row.flags.find("k26") != std::string::npos || row.flags.find("k27") != std::string::npos
                            ? "common" : row.flags);
        for (const auto& row : rows_of(t / "b")) got.insert(row.flags);
        CHECK(got == want);
        CHECK(keywords_of(t / "md/.many").size() == 26);
        CHECK(keyword_letters_ok(t / "md"));
    }
    SECTION("EML -> cache -> EML: bytes") {
        REQUIRE(import(t / "a", {corpus + "/eml"}).exit_code <= 1);
        run_export(t / "a", t / "eml", "eml");
        REQUIRE(import(t / "b", {t / "eml"}, {"--format", "eml"}).exit_code <= 1);
        CHECK(shas(rows_of(t / "b")) == shas(rows_of(t / "a")));
    }
}
