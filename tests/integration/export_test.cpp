// mailferry export: a cache fetched from the private Dovecot, written out as
// Maildir++, EML and mbox, and read back independently.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <boost/filesystem.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "formats/mbox/mbox_reader.hpp"
#include "mailferry/flags.hpp"
#include "corpus_manifest.hpp"
#include "support.hpp"
#include "test_dovecot.hpp"
#include "wrap/sha256.hpp"
#include "test_files.hpp"

using namespace mailferry;
using namespace mailferry::test;
namespace fs = boost::filesystem;

namespace {

const std::string kUser = "alice";
const std::string kPassword = "export pw 4 tests";
const std::string kReader = "bob";  // an account an export is loaded into, to see what Dovecot makes of it

// A Dovecot with the generated corpus' Maildir++ account, fetched into a cache.
struct Fetched {
    TestDovecot dovecot;
    TempDir dir;
    std::string cache = dir / "cache";
    std::string password_file;

    Fetched() : dovecot(options()) {
        password_file = write_secret_file(dir / "password", kPassword);
        dovecot.load_maildir(kUser, generated_maildirpp());
    }
    static DovecotOptions options() {
        DovecotOptions o;
        o.users = {kUser + ":" + kPassword, kReader + ":" + kPassword};
        return o;
    }
    void fetch() const {
        auto r = run_mailferry({"fetch", cache, "--from",
                                "imaps://" + kUser + "@127.0.0.1:" + std::to_string(dovecot.imaps_port()),
                                "--password-file", password_file, "--ca-file", dovecot.ca_file(), "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    void imap(const std::string& folder, const std::string& command) const {
        imap_command(dovecot.imaps_port(), kUser, kPassword, folder, command);
    }
};

struct Export {
    RunResult run;
    nlohmann::json json;
};

Export export_cache(const std::string& cache, const std::string& dest, const std::string& format,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"export", cache, dest, "--format", format, "--json", "--no-progress"};
    args.insert(args.end(), extra.begin(), extra.end());
    Export e{run_mailferry(args), {}};
    if (e.run.exit_code == 0 || e.run.exit_code == 1) e.json = nlohmann::json::parse(e.run.out);
    return e;
}

// Cached messages per folder (UTF-8 name, as export reports it).
std::map<std::string, std::vector<CachedMessageRow>> rows_by_folder(const std::string& cache) {
    auto folders = read_cache_folders(cache);
    std::map<std::string, std::vector<CachedMessageRow>> out;
    for (const auto& r : read_cache_messages(cache)) out[folders.at(r.folder_raw_name).name].push_back(r);
    return out;
}

// What an mbox writer must give back: the bytes, plus the line break a message without one gets.
std::string expected_mbox_sha(const std::string& cache, const CachedMessageRow& r) {
    std::string bytes = slurp(cache + "/" + r.path);
    if (!bytes.empty() && bytes.back() != '\n') {
        size_t nl = bytes.find('\n');
        bytes += nl != std::string::npos && nl > 0 && bytes[nl - 1] == '\r' ? "\r\n" : "\n";
    }
    return wrap::sha256_hex(bytes);
}

// Every file and directory below root, and that none of them is a symlink or outside root.
std::vector<std::string> walk(const std::string& root) {
    std::vector<std::string> out;
    fs::path canon = fs::canonical(root);
    for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
        CHECK_FALSE(fs::is_symlink(it->symlink_status()));
        fs::path p = fs::canonical(it->path());
        CHECK(p.string().rfind(canon.string() + "/", 0) == 0);
        out.push_back(fs::relative(it->path(), root).string());
    }
    return out;
}

// path -> (size, mtime) of every regular file below root.
std::map<std::string, std::pair<uint64_t, int64_t>> snapshot(const std::string& root) {
    std::map<std::string, std::pair<uint64_t, int64_t>> out;
    for (const auto& p : walk(root)) {
        std::string abs = root + "/" + p;
        if (fs::is_regular_file(abs)) out[p] = {fs::file_size(abs), mtime_of(abs)};
    }
    return out;
}

// The keyword letters of a Maildir++ folder directory, as its dovecot-keywords gives them.
std::map<std::string, char> letters_of(const std::string& folder_dir) {
    std::map<std::string, char> out;
    std::ifstream in(folder_dir + "/dovecot-keywords");
    int n;
    std::string keyword;
    while (in >> n >> keyword) out[keyword] = static_cast<char>('a' + n);
    return out;
}

// Where the export puts a cached message: its cache path below mail/, with the
// folder's keyword letters after the system flags (Dovecot's order: sorted).
std::string exported_path(const std::string& dest, const CachedMessageRow& r) {
    std::string rel = r.path.substr(5);
    size_t slash = rel.find("/cur/");
    auto letters = letters_of(slash == std::string::npos || slash == 0 ? dest : dest + "/" + rel.substr(0, slash));
    std::string kw;
    for (const auto& k : Flags::from_imap(r.flags).keywords) kw += letters.at(k);
    std::sort(kw.begin(), kw.end());
    return rel + kw;
}

// Message files of a Maildir++ tree: those in some cur/ or new/.
std::set<std::string> maildir_messages(const std::string& root) {
    std::set<std::string> out;
    for (const auto& p : walk(root)) {
        std::string parent = fs::path(p).parent_path().filename().string();
        if ((parent == "cur" || parent == "new") && fs::is_regular_file(root + "/" + p)) out.insert(p);
    }
    return out;
}

}  // namespace

TEST_CASE("export to Maildir++ keeps bytes, flags, dates and folder names", "[export][maildir]") {
    Fetched f;
    f.imap("Trash", "UID STORE 1:2 +FLAGS (\\Flagged \\Answered)");
    f.imap("Drafts", "UID STORE 1 +FLAGS (\\Deleted)");
    f.imap("Drafts", "EXPUNGE");
    f.fetch();  // a fresh cache has nothing gone: expunge after a first fetch, then fetch again
    f.imap("Drafts", "UID STORE 2 +FLAGS (\\Deleted)");
    f.imap("Drafts", "EXPUNGE");
    f.fetch();
    auto rows = read_cache_messages(f.cache);
    REQUIRE(rows.size() == manifest_message_count(kMaildirppContainer) - 1);  // one expunged before the first fetch
    size_t gone = std::count_if(rows.begin(), rows.end(), [](auto& r) { return r.gone; });
    REQUIRE(gone == 1);

    std::string dest = f.dir / "out/maildir";
    auto e = export_cache(f.cache, dest, "maildir");
    INFO(e.run.err);
    REQUIRE(e.run.exit_code == 0);
    CHECK(e.json["messages"] == rows.size());
    CHECK(e.json["gone"] == 1);  // deleted on the source, kept in the cache: exported too
    CHECK(mode_of(dest) == 0700);

    // The same tree as the cache's mail/: same folder directories, same names, same flags.
    std::set<std::string> exported;
    size_t with_keywords = 0;
    for (const auto& r : rows) {
        CAPTURE(r.folder_raw_name, r.uid, r.path);
        REQUIRE(r.path.rfind("mail/", 0) == 0);
        std::string rel = exported_path(dest, r), out = dest + "/" + rel;
        REQUIRE(fs::exists(out));
        CHECK(sha256_of_file(out) == r.sha256);
        CHECK(mtime_of(out) == r.received);
        CHECK(mode_of(out) == 0600);
        CHECK(out.substr(out.rfind(":2,") + 3, Flags::from_imap(r.flags).maildir_letters().size()) ==
              Flags::from_imap(r.flags).maildir_letters());
        with_keywords += !Flags::from_imap(r.flags).keywords.empty();
        exported.insert(rel);
    }
    CHECK(with_keywords >= 20);  // the corpus' $Forwarded and Wichtig
    CHECK(maildir_messages(dest) == exported);
    CHECK(fs::exists(dest + "/.Lists.dev@example\\2eorg/maildirfolder"));  // listescape: '.' in a name is \2e
    CHECK(letters_of(dest + "/.Lists.dev@example\\2eorg") == std::map<std::string, char>{{"Wichtig", 'a'}});
    CHECK(mode_of(dest + "/dovecot-keywords") == 0600);
    CHECK(fs::is_directory(dest + "/cur"));  // INBOX is DEST itself

    SECTION("Dovecot serves the export with every flag and keyword: FETCH FLAGS as in the cache") {
        f.dovecot.load_maildir(kReader, dest);
        auto served = read_account(f.dovecot.imaps_port(), kReader, kPassword);
        std::map<std::string, std::multiset<std::tuple<std::string, std::string, int64_t>>> want, got;
        for (const auto& r : rows) want[r.folder_raw_name].insert({r.sha256, r.flags, r.received});
        for (const auto& [name, folder] : served)
            for (const auto& m : folder.messages) got[name].insert({m.sha256, m.flags, m.internaldate});
        for (auto& [name, messages] : want) {
            CAPTURE(name);
            CHECK(got[name] == messages);
        }
    }
    SECTION("again without --force: refused, naming a file, nothing changed") {
        auto before = snapshot(dest);
        auto again = export_cache(f.cache, dest, "maildir");
        CHECK(again.run.exit_code == 2);
        CHECK(again.run.err.find(dest + "/") != std::string::npos);
        CHECK(again.run.err.find("--force") != std::string::npos);
        CHECK(snapshot(dest) == before);
    }
    SECTION("new flags on the source, then --force: each message once, with its new flags") {
        f.imap("Trash", "UID STORE 1 -FLAGS (\\Seen \\Flagged \\Answered)");
        f.fetch();
        auto forced = export_cache(f.cache, dest, "maildir", {"--force"});
        INFO(forced.run.err);
        REQUIRE(forced.run.exit_code == 0);
        CHECK(forced.json["replaced"] == rows.size());
        auto now = read_cache_messages(f.cache);
        std::set<std::string> expected;
        for (const auto& r : now) expected.insert(exported_path(dest, r));
        CHECK(maildir_messages(dest) == expected);
    }
}

TEST_CASE("export to EML and mbox keeps every message's bytes, per folder", "[export][eml][mbox]") {
    Fetched f;
    // A message whose last line has no line break (LITERAL+: the literal inline).
    const std::string unterminated = "Subject: no final CRLF\r\nFrom: a@example.org\r\n\r\nFrom here on, no line break";
    f.imap("", "APPEND Trash {" + std::to_string(unterminated.size()) + "+}\r\n" + unterminated);
    f.fetch();
    auto by_folder = rows_by_folder(f.cache);

    SECTION("eml: one file per message, the cached bytes, mtime = received date") {
        std::string dest = f.dir / "eml";
        auto e = export_cache(f.cache, dest, "eml");
        INFO(e.run.err);
        REQUIRE(e.run.exit_code == 0);
        CHECK(mode_of(dest) == 0700);
        size_t folders_with_mail = 0;
        const size_t cached_folders_with_mail = by_folder.size();
        for (const auto& folder : e.json["folders"]) {
            std::string name = folder["name"], path = folder["path"];
            CAPTURE(name, path);
            std::multiset<std::pair<std::string, int64_t>> want, got;
            for (const auto& r : by_folder[name]) want.insert({r.sha256, r.received});
            for (fs::directory_iterator it(dest + "/" + path), end; it != end; ++it) {
                if (!fs::is_regular_file(it->path())) continue;
                std::string file = it->path().filename().string();
                CHECK(file.size() <= 100);
                CHECK(file.substr(file.size() - 4) == ".eml");
                CHECK(file[0] != '.');
                got.insert({sha256_of_file(it->path().string()), mtime_of(it->path().string())});
            }
            CHECK(got == want);
            folders_with_mail += !want.empty();
        }
        CHECK(folders_with_mail == cached_folders_with_mail);
        CHECK(fs::is_directory(dest + "/Lists/dev@example.org"));
        bool found_unterminated = false;
        for (fs::directory_iterator it(dest + "/Trash"), end; it != end; ++it)
            found_unterminated |= slurp(it->path().string()) == unterminated;
        CHECK(found_unterminated);  // EML: the bytes as they are, no line break added

        auto again = export_cache(f.cache, dest, "eml");
        CHECK(again.run.exit_code == 2);
        CHECK(again.run.err.find(".eml exists") != std::string::npos);
        auto forced = export_cache(f.cache, dest, "eml", {"--force"});
        CHECK(forced.run.exit_code == 0);
        CHECK(forced.json["replaced"] == forced.json["messages"]);
    }
    SECTION("mboxrd: read back as mboxrd, the same SHA-256 multiset and received dates per folder") {
        std::string dest = f.dir / "mbox";
        auto e = export_cache(f.cache, dest, "mboxrd");
        INFO(e.run.err);
        REQUIRE(e.run.exit_code == 0);
        REQUIRE(e.json["folders"].size() >= by_folder.size());
        CHECK(fs::is_regular_file(dest + "/Lists/dev@example.org.mbox"));
        CHECK(fs::is_regular_file(dest + "/INBOX.mbox"));
        uint64_t total = 0;
        for (const auto& folder : e.json["folders"]) {
            std::string name = folder["name"], path = folder["path"];
            CAPTURE(name, path);
            CHECK(path.substr(path.size() - 5) == ".mbox");
            CHECK(mode_of(dest + "/" + path) == 0600);
            std::multiset<std::pair<std::string, int64_t>> want, got;
            for (const auto& r : by_folder[name]) want.insert({expected_mbox_sha(f.cache, r), r.received});
            mbox::ReaderOptions o;
            o.variant = mbox::Variant::mboxrd;
            mbox::MboxReader reader(dest + "/" + path, o);
            REQUIRE(reader.read([&](const mbox::MboxMessage& m) -> Status {
                got.insert({wrap::sha256_hex(m.bytes), m.date.value_or(-1)});
                return {};
            }).ok());
            // (The reader may warn about the corpus' wrong Content-Length: headers; it then splits at From_ lines.)
            CHECK(got == want);
            total += got.size();
        }
        CHECK(total == e.json["messages"]);
        CHECK(e.json["newlines_added"] == 1);
        CHECK(e.json["escaped_lines"].get<uint64_t>() >= 1);  // at least "From here on" above

        auto again = export_cache(f.cache, dest, "mboxrd");
        CHECK(again.run.exit_code == 2);
        CHECK(again.run.err.find(".mbox exists") != std::string::npos);
    }
    SECTION("mboxo and --folder: only the folders asked for") {
        std::string dest = f.dir / "mboxo";
        auto e = export_cache(f.cache, dest, "mboxo", {"--folder", "Lists/*"});
        INFO(e.run.err);
        REQUIRE(e.run.exit_code == 0);
        size_t lists = 0;
        for (const auto& [name, folder] : manifest_folders(kMaildirppContainer)) lists += name.rfind("Lists/", 0) == 0;
        REQUIRE(lists >= 1);
        REQUIRE(e.json["folders"].size() == lists);
        for (const auto& folder : e.json["folders"]) {
            std::string name = folder["name"];
            CHECK(name.rfind("Lists/", 0) == 0);
            mbox::ReaderOptions o;
            o.variant = mbox::Variant::mboxo;
            mbox::MboxReader reader(dest + "/" + std::string(folder["path"]), o);
            REQUIRE(reader.read([](const mbox::MboxMessage&) -> Status { return {}; }).ok());
            CHECK(reader.report().messages == by_folder[name].size());
        }
        CHECK_FALSE(fs::exists(dest + "/INBOX.mbox"));
        auto none = export_cache(f.cache, f.dir / "none", "mboxo", {"--folder", "NoSuchFolder"});
        CHECK(none.run.exit_code == 2);
        CHECK_FALSE(fs::exists(f.dir / "none"));
    }
    SECTION("DEST inside the cache is refused") {
        auto e = export_cache(f.cache, f.cache + "/mail/x", "maildir");
        CHECK(e.run.exit_code == 2);
        CHECK_FALSE(fs::exists(f.cache + "/mail/x"));
    }
}

TEST_CASE("hostile folder names cannot make export write outside DEST", "[export][security]") {
    Fetched f;
    // The harness' Dovecot uses '/' as separator, maildir++ layout with listescape. It refuses
    // names with control characters (raw or in modified UTF-7) and a leading '/': the unit
    // tests cover those. It takes the rest, a right-to-left override (U+202E) included.
    struct Hostile {
        std::string raw, name;  // as sent (modified UTF-7), and in UTF-8
    };
    const std::vector<Hostile> hostile_folders = {
        {"../../x", "../../x"}, {"..%2F..%2Fx", "..%2F..%2Fx"}, {"a\\b", "a\\b"}, {".hidden", ".hidden"},
        {"~", "~"}, {"x:y*z?", "x:y*z?"}, {"rtl&IC4-txt", "rtl\xe2\x80\xaetxt"}};
    std::vector<std::string> hostile;
    for (const auto& h : hostile_folders) {
        std::string quoted;
        for (char c : h.raw) {
            if (c == '\\' || c == '"') quoted += '\\';
            quoted += c;
        }
        f.imap("", "CREATE \"" + quoted + "\"");
        f.imap("Trash", "UID COPY 1 \"" + quoted + "\"");
        hostile.push_back(h.name);
    }
    f.fetch();
    auto folders = read_cache_folders(f.cache);
    for (const auto& h : hostile_folders) CHECK(folders.count(h.raw) == 1);

    for (const std::string format : {"mboxrd", "eml", "maildir"}) {
        CAPTURE(format);
        // DEST two levels down: "../../x" escaping would land in f.dir/out.
        std::string out = f.dir / ("out-" + format);
        std::string dest = out + "/a/b";
        auto e = export_cache(f.cache, dest, format);
        INFO(e.run.err);
        REQUIRE(e.run.exit_code == 0);
        CHECK(mode_of(out + "/a") == 0700);
        std::vector<std::string> top;
        for (fs::directory_iterator it(out), end; it != end; ++it) top.push_back(it->path().filename().string());
        CHECK(top == std::vector<std::string>{"a"});
        for (const auto& p : walk(out)) {
            CAPTURE(p);
            CHECK((p == "a" || p == "a/b" || p.rfind("a/b/", 0) == 0));
        }
        // Every hostile folder was exported, below DEST.
        std::map<std::string, std::string> paths;
        for (const auto& folder : e.json["folders"]) paths[folder["name"]] = folder["path"];
        for (const auto& name : hostile) {
            CAPTURE(name);
            REQUIRE(paths.count(name) == 1);
            CHECK(fs::exists(dest + "/" + paths[name]));
        }
        if (format == "mboxrd") {
            CHECK(paths["../../x"] == "__/__/x.mbox");
            CHECK(paths["a\\b"] == "a_b.mbox");
            CHECK(paths[".hidden"] == "_hidden.mbox");
            CHECK(paths["rtl\xe2\x80\xaetxt"] == "rtl_txt.mbox");
        }
        if (format == "maildir") CHECK(paths["../../x"] == ".\\2e\\2e.\\2e\\2e.x");
    }
}

namespace {

// DEST as a user made it (0700), with a symbolic link at rel (below DEST) to target.
void plant_link(const std::string& dest, const std::string& rel, const std::string& target) {
    fs::create_directories(fs::path(dest + "/" + rel).parent_path());
    REQUIRE(::chmod(dest.c_str(), 0700) == 0);
    fs::create_symlink(target, dest + "/" + rel);
}

// The refusal: kind usage, one line, naming the link as one.
void check_refused(const Export& e, const std::string& link) {
    INFO(e.run.err);
    CHECK(e.run.exit_code == 2);
    CHECK(e.run.err.find(link + " is a symbolic link") != std::string::npos);
    CHECK(std::count(e.run.err.begin(), e.run.err.end(), '\n') == 1);
}

// Regular files below root, links not followed.
size_t files_below(const std::string& root) {
    size_t n = 0;
    for (fs::recursive_directory_iterator it(root), end; it != end; ++it) n += fs::is_regular_file(it->symlink_status());
    return n;
}

bool empty_directory(const std::string& dir) { return fs::is_directory(dir) && fs::is_empty(dir); }

}  // namespace

TEST_CASE("Maildir++ export refuses a symbolic link below DEST and writes nothing through it", "[export][security][maildir]") {
    Fetched f;
    f.fetch();
    std::string folder;  // a folder below INBOX, as the cache's mail/ tree names it
    for (const auto& r : read_cache_messages(f.cache)) {
        size_t cur = r.path.find("/cur/");
        if (cur > 5) folder = r.path.substr(5, cur - 5);
    }
    REQUIRE(!folder.empty());
    std::string outside = f.dir / "outside";
    fs::create_directory(outside);

    // INBOX's cur/ (INBOX is DEST itself) leads outside.
    std::string dest = f.dir / "maildir";
    plant_link(dest, "cur", outside);
    check_refused(export_cache(f.cache, dest, "maildir"), dest + "/cur");
    CHECK(empty_directory(outside));
    CHECK(files_below(dest) == 0);

    // A folder's directory leads outside; --force changes nothing about that.
    std::string forced = f.dir / "maildir-forced";
    plant_link(forced, folder, outside);
    check_refused(export_cache(f.cache, forced, "maildir", {"--force"}), forced + "/" + folder);
    CHECK(empty_directory(outside));
    CHECK(files_below(forced) == 0);
}

TEST_CASE("mbox export refuses a symbolic link below DEST and writes nothing through it", "[export][security][mbox]") {
    Fetched f;
    f.fetch();
    std::string outside = f.dir / "outside";
    fs::create_directory(outside);
    std::string outside_file = f.dir / "outside.mbox";
    std::ofstream(outside_file) << "not mail\n";

    // A folder level's directory (Lists/dev@example.org.mbox goes below it) leads outside.
    std::string dest = f.dir / "mbox";
    plant_link(dest, "Lists", outside);
    check_refused(export_cache(f.cache, dest, "mboxrd"), dest + "/Lists");
    CHECK(empty_directory(outside));
    CHECK(files_below(dest) == 0);

    // The mbox file's name is a link to a file outside: not replaced, even with --force.
    std::string forced = f.dir / "mbox-forced";
    plant_link(forced, "INBOX.mbox", outside_file);
    check_refused(export_cache(f.cache, forced, "mboxrd", {"--force"}), forced + "/INBOX.mbox");
    CHECK(slurp(outside_file) == "not mail\n");
    CHECK(fs::is_symlink(forced + "/INBOX.mbox"));
    CHECK(files_below(forced) == 0);
}

TEST_CASE("EML export refuses a symbolic link below DEST and writes nothing through it", "[export][security][eml]") {
    Fetched f;
    f.fetch();
    std::string outside = f.dir / "outside";
    fs::create_directory(outside);

    // A folder's directory leads outside.
    std::string dest = f.dir / "eml";
    plant_link(dest, "Trash", outside);
    check_refused(export_cache(f.cache, dest, "eml", {"--force"}), dest + "/Trash");
    CHECK(empty_directory(outside));
    CHECK(files_below(dest) == 0);

    // A message's file name is a dangling link to outside: never created through it.
    std::string reference = f.dir / "eml-reference";
    REQUIRE(export_cache(f.cache, reference, "eml").run.exit_code == 0);
    fs::directory_iterator first(reference + "/Trash");
    REQUIRE(first != fs::directory_iterator());
    std::string name = first->path().filename().string();
    std::string planted = f.dir / "eml-planted";
    plant_link(planted, "Trash/" + name, outside + "/" + name);
    check_refused(export_cache(f.cache, planted, "eml"), planted + "/Trash/" + name);
    CHECK(empty_directory(outside));
    CHECK(files_below(planted) == 0);
}

TEST_CASE("export into an existing export: refused without --force, replaced with it, nothing left over", "[export][security]") {
    Fetched f;
    f.fetch();
    for (const std::string format : {"maildir", "mboxrd", "eml"}) {
        CAPTURE(format);
        std::string dest = f.dir / ("again-" + format);
        auto first = export_cache(f.cache, dest, format);
        INFO(first.run.err);
        REQUIRE(first.run.exit_code == 0);
        auto before = snapshot(dest);
        auto again = export_cache(f.cache, dest, format);
        CHECK(again.run.exit_code == 2);
        CHECK(snapshot(dest) == before);
        auto forced = export_cache(f.cache, dest, format, {"--force"});
        INFO(forced.run.err);
        REQUIRE(forced.run.exit_code == 0);
        CHECK(forced.json["messages"] == first.json["messages"]);
        CHECK(forced.json["replaced"] > 0);
        // The same files with the same sizes (an mbox's mtime is the run's): no temporary left behind.
        auto after = snapshot(dest);
        CHECK(after.size() == before.size());
        for (const auto& [path, size_mtime] : before) {
            CAPTURE(path);
            REQUIRE(after.count(path) == 1);
            CHECK(after[path].first == size_mtime.first);
        }
    }
}
