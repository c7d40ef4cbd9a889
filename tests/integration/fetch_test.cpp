// mailferry fetch against a private Dovecot (tests/harness/dovecot-harness).
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "corpus_manifest.hpp"
#include "support.hpp"
#include "test_corpus.hpp"
#include "test_dovecot.hpp"

using namespace mailferry::test;
namespace fs = boost::filesystem;

namespace {

const std::string kUser = "alice";
const std::string kPassword = "correct horse 7 battery";

struct Account {
    TestDovecot dovecot;
    TempDir dir;
    std::string password_file;
    explicit Account(DovecotOptions o = {}) : dovecot(with_user(std::move(o))) {
        password_file = write_secret_file(dir / "password", kPassword);
    }
    static DovecotOptions with_user(DovecotOptions o) {
        o.users = {kUser + ":" + kPassword};
        return o;
    }
    std::string url() const { return "imaps://" + kUser + "@127.0.0.1:" + std::to_string(dovecot.imaps_port()); }
    std::vector<std::string> fetch_args(const std::string& cache) const {
        return {"fetch", cache, "--from", url(), "--password-file", password_file, "--ca-file", dovecot.ca_file(),
                "--no-progress"};
    }
    RunResult fetch(const std::string& cache, std::vector<std::string> extra = {}) const {
        auto args = fetch_args(cache);
        args.insert(args.end(), extra.begin(), extra.end());
        return run_mailferry(args);
    }
};

// What a server does after its index is rebuilt: a new UIDVALIDITY, new UIDs.
void set_uidvalidity(const TestDovecot& d, const std::string& folder, uint32_t value) {
    std::string cmd = "doveadm -c '" + d.dir() + "/dovecot.conf' mailbox update --uid-validity " +
                      std::to_string(value) + " -u " + kUser + " '" + folder + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
}

// No index row without its file, no message file without its row, nothing left in tmp/.
void require_consistent(const std::string& cache) {
    auto rows = read_cache_messages(cache);
    std::set<std::string> indexed;
    for (const auto& r : rows) indexed.insert(r.path);
    CHECK(indexed.size() == rows.size());
    CHECK(message_files(cache) == indexed);
}

// Cached messages per folder, by the folder's UTF-8 name.
std::map<std::string, size_t> cached_counts(const std::string& cache) {
    auto folders = read_cache_folders(cache);
    std::map<std::string, size_t> out;
    for (const auto& row : read_cache_messages(cache)) ++out[folders.at(row.folder_raw_name).name];
    return out;
}

// Every folder and message of the corpus at corpus_root, loaded into the
// account, fetched: the cache holds what the server sends, and runs again the same.
// `also` checks more on the first cache.
void fetch_whole_corpus(const std::string& corpus_root, size_t min_folders,
                        const std::function<void(const std::string& cache)>& also = {}) {
    Account a;
    auto warm = load_corpus(a.dovecot, corpus_root, kUser, kPassword);
    std::string cache = a.dir / "cache";
    auto first = a.fetch(cache, {"--json"});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    auto server = read_account(a.dovecot.imaps_port(), kUser, kPassword);
    REQUIRE(server.size() >= min_folders);
    REQUIRE(server.size() == warm.size());
    require_cache_matches_server(cache, server);
    require_consistent(cache);
    CHECK(first.out.find("\"new_messages\"") != std::string::npos);
    if (also) also(cache);

    SECTION("a second fetch adds nothing") {
        auto second = a.fetch(cache, {"--json"});
        REQUIRE(second.exit_code == 0);
        CHECK(second.out.find("\"new_messages\": 0") != std::string::npos);
        CHECK(second.out.find("\"flags_refreshed\": 0") != std::string::npos);
        require_cache_matches_server(cache, server);
    }
    SECTION("COMPRESS=DEFLATE and more connections give the same cache") {
        std::string other = a.dir / "compressed";
        auto r = a.fetch(other, {"--compress-wire", "--connections", "4"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(read_cache_messages(other) == read_cache_messages(cache));
    }
}

}  // namespace

TEST_CASE("fetch caches every byte, flag, date and folder of the generated corpus", "[fetch][corpus]") {
    // The Maildir++ folders, and a folder per mbox file and per group of message files.
    fetch_whole_corpus(generated_corpus_dir(), manifest_folders(kMaildirppContainer).size() + 20,
                       [](const std::string& cache) {
                           // Each Maildir++ folder with the messages the generator put there.
                           auto counts = cached_counts(cache);
                           for (const auto& [name, folder] : manifest_folders(kMaildirppContainer)) {
                               CAPTURE(name);
                               CHECK(counts[name] == folder.at("messages").size());
                           }
                       });
}

// Real mail adds what no generator thought of: every file of the dev corpus, through a real server.
TEST_CASE("real mail: fetch caches every byte, flag, date and folder of the dev corpus", "[fetch][corpus][real]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    fetch_whole_corpus(dev, 60);
}

TEST_CASE("fetch killed at 20 random moments ends with the cache of an uninterrupted run", "[fetch][crash]") {
    Account a;
    a.dovecot.load_maildir(kUser, generated_maildirpp());
    a.dovecot.generate(kUser, 2000, 7);

    std::string reference = a.dir / "reference";
    auto started = std::chrono::steady_clock::now();
    REQUIRE(a.fetch(reference).exit_code == 0);
    auto full = std::chrono::steady_clock::now() - started;
    auto full_us = std::chrono::duration_cast<std::chrono::microseconds>(full).count();

    std::string cache = a.dir / "killed";
    std::mt19937 rng(20261125);
    int killed_mid_run = 0;
    for (int i = 0; i < 20; ++i) {
        pid_t pid = spawn_mailferry(a.fetch_args(cache));
        // Spread the kills over the length of a whole run: each resumed run has less
        // left to do, so some kills land early in the run and some late.
        std::uniform_int_distribution<long> when(0, full_us);
        std::this_thread::sleep_for(std::chrono::microseconds(when(rng)));
        if (::kill(pid, SIGKILL) == 0) ++killed_mid_run;
        wait_for(pid);
    }
    CAPTURE(killed_mid_run);
    auto last = a.fetch(cache);
    INFO(last.err);
    REQUIRE(last.exit_code == 0);
    check_same_rows(read_cache_messages(cache), read_cache_messages(reference));
    require_consistent(cache);
    require_consistent(reference);
}

TEST_CASE("fetch follows flag changes, expunges and a UIDVALIDITY change on the source", "[fetch][incremental]") {
    Account a;
    a.dovecot.load_maildir(kUser, generated_maildirpp());
    std::string cache = a.dir / "cache";
    REQUIRE(a.fetch(cache).exit_code == 0);
    int port = a.dovecot.imaps_port();

    imap_command(port, kUser, kPassword, "Trash", "UID STORE 1:2 +FLAGS (\\Flagged $Label1)");
    imap_command(port, kUser, kPassword, "Trash", "UID STORE 1 -FLAGS (\\Seen)");
    imap_command(port, kUser, kPassword, "Drafts", "UID STORE 1 +FLAGS (\\Deleted)");
    imap_command(port, kUser, kPassword, "Drafts", "EXPUNGE");
    auto r = a.fetch(cache, {"--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("\"flags_refreshed\": 2") != std::string::npos);
    CHECK(r.out.find("\"gone\": 1") != std::string::npos);
    // Dovecot offers CONDSTORE: Trash lost nothing, so only its changed flags
    // were asked for (CHANGEDSINCE); Drafts lost one, so all of its were;
    // a folder nobody touched was not asked at all.
    const auto report = nlohmann::json::parse(r.out);
    std::map<std::string, std::string> flags_read;
    for (const auto& f : report["folders"])
        flags_read[f["name"].get<std::string>()] = f["flags_read"].is_null() ? "" : f["flags_read"].get<std::string>();
    CHECK(flags_read["Trash"] == "changed");
    CHECK(flags_read["Drafts"] == "all");
    CHECK(flags_read["INBOX"] == "unchanged");
    require_consistent(cache);

    auto server = read_account(port, kUser, kPassword);
    for (const auto& row : read_cache_messages(cache)) {
        if (row.folder_raw_name == "Drafts" && row.uid == 1) {
            CHECK(row.gone);  // gone from the source, kept in the cache
            CHECK(fs::exists(cache + "/" + row.path));
        }
        if (row.folder_raw_name == "Trash" && row.uid <= 2) {
            auto& sm = server["Trash"].messages;
            auto it = std::find_if(sm.begin(), sm.end(), [&](auto& m) { return m.uid == row.uid; });
            REQUIRE(it != sm.end());
            CHECK(row.flags == it->flags);
            CHECK(row.path.find(":2,F") != std::string::npos);
        }
    }

    SECTION("a new UIDVALIDITY re-matches by SHA-256 instead of duplicating") {
        const std::string list = "Lists/dev@example.org";
        const size_t in_list = manifest_folder_count(kMaildirppContainer, list);
        auto before = read_cache_messages(cache);
        set_uidvalidity(a.dovecot, list, 4242);
        auto again = a.fetch(cache, {"--json"});
        INFO(again.err);
        REQUIRE(again.exit_code == 0);
        CHECK(again.out.find("\"rematched\": " + std::to_string(in_list)) != std::string::npos);
        CHECK(again.err.find("UIDVALIDITY changed") != std::string::npos);
        auto after = read_cache_messages(cache);
        CHECK(after.size() == before.size());
        size_t moved = 0;
        for (const auto& row : after) moved += row.folder_raw_name == list && row.uidvalidity == 4242;
        CHECK(moved == in_list);
        require_consistent(cache);
    }
}

TEST_CASE("fetch refuses what it must refuse, with one clear line and no cache", "[fetch][errors]") {
    Account a;
    std::string cache = a.dir / "cache";

    SECTION("a wrong password") {
        std::string wrong = write_secret_file(a.dir / "wrong", "not the password");
        auto r = run_mailferry({"fetch", cache, "--from", a.url(), "--password-file", wrong, "--ca-file",
                                a.dovecot.ca_file()});
        CHECK(r.exit_code == 3);
        CHECK(r.err.find("refused the login of alice") != std::string::npos);
        CHECK(r.err.find("not the password") == std::string::npos);
        CHECK_FALSE(fs::exists(cache));
    }
    SECTION("a self-signed certificate without --ca-file") {
        auto r = run_mailferry({"fetch", cache, "--from", a.url(), "--password-file", a.password_file});
        CHECK(r.exit_code == 4);
        CHECK(r.err.find("certificate") != std::string::npos);
        CHECK_FALSE(fs::exists(cache));
    }
    SECTION("--insecure connects, with a warning") {
        auto r = run_mailferry({"fetch", cache, "--from", a.url(), "--password-file", a.password_file, "--insecure"});
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("not verified") != std::string::npos);
    }
    SECTION("nothing listening") {
        auto r = run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:1", "--password-file",
                                a.password_file, "--timeout", "5"});
        CHECK(r.exit_code == 5);
        CHECK(r.err.find("cannot connect") != std::string::npos);
    }
    SECTION("no password source off a terminal") {
        auto r = run_mailferry({"fetch", cache, "--from", a.url(), "--ca-file", a.dovecot.ca_file()});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("--password-file") != std::string::npos);
    }
    SECTION("a password in the URL") {
        auto r = run_mailferry({"fetch", cache, "--from", "imaps://alice:hunter2@127.0.0.1:993"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("hunter2") == std::string::npos);
    }
}

TEST_CASE("a folder the server cannot open is reported, the others are fetched, and the next run catches up", "[fetch][errors]") {
    Account a;
    a.dovecot.load_maildir(kUser, generated_maildirpp());
    std::string drafts = a.dovecot.maildir_of(kUser) + "/.Drafts";
    // Dovecot's mail processes cannot read it: EXAMINE gets NO.
    fs::permissions(drafts, fs::perms::no_perms);
    std::string cache = a.dir / "cache";
    auto r = a.fetch(cache);
    fs::permissions(drafts, fs::perms::owner_all);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("error: folder Drafts: cannot open the folder") != std::string::npos);
    const size_t all = manifest_message_count(kMaildirppContainer);
    CHECK(read_cache_messages(cache).size() == all - manifest_folder_count(kMaildirppContainer, "Drafts"));
    require_consistent(cache);

    auto again = a.fetch(cache);
    CHECK(again.exit_code == 0);
    CHECK(read_cache_messages(cache).size() == all);
}

TEST_CASE("imap:// uses STARTTLS, and --password-env, --folder and --exclude work", "[fetch][starttls]") {
    Account a;
    a.dovecot.load_maildir(kUser, generated_maildirpp());
    std::string cache = a.dir / "cache";
    auto r = run_mailferry({"fetch", cache, "--from", "imap://alice@127.0.0.1:" + std::to_string(a.dovecot.imap_port()),
                            "--password-env", "MF_TEST_PW", "--ca-file", a.dovecot.ca_file(), "--folder", "Lists/*",
                            "--folder", "INBOX", "--folder", "Archive/*", "--exclude", "*commits*", "--json"},
                           {{"MF_TEST_PW", kPassword}});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::set<std::string> fetched;
    for (const auto& row : read_cache_messages(cache)) fetched.insert(row.folder_raw_name);
    CHECK(fetched == std::set<std::string>{"INBOX", "Lists/dev@example.org"});  // Archive's only mail is in commits
    CHECK(r.out.find(kPassword) == std::string::npos);
    CHECK(r.err.find(kPassword) == std::string::npos);

    auto status = run_mailferry({"status", cache, "--json"});
    REQUIRE(status.exit_code == 0);
    CHECK(status.out.find("\"format_version\": 1") != std::string::npos);
    const size_t expected = manifest_folder_count(kMaildirppContainer, "INBOX") +
                            manifest_folder_count(kMaildirppContainer, "Lists/dev@example.org");
    CHECK(status.out.find("\"messages\": " + std::to_string(expected)) != std::string::npos);
}
