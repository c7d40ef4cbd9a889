// What mailferry must refuse, and what it must never leak or write
// (docs/architecture.md §8): certificates for another host or out of date, a stripped
// STARTTLS, secrets in output or on the command line, a cache others can
// read, folder names that try to climb out of the cache.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <boost/filesystem.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "support.hpp"
#include "test_corpus.hpp"
#include "test_dovecot.hpp"

using namespace mailferry::test;
namespace fs = boost::filesystem;

namespace {

const std::string kPassword = "s3curity-test-password";

std::string make_certs(const TempDir& dir) {
    const std::string certs = dir / "certs";
    const std::string cmd = std::string(MAILFERRY_HARNESS_DIR) + "/make-test-certs '" + certs + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return certs;
}

struct Server {
    TestDovecot dovecot{DovecotOptions{"dovecot", {"alice:" + kPassword}, true}};
    TempDir dir;
    std::string password_file = write_secret_file(dir / "pw", kPassword);
    Server() {
        dovecot.load_files("alice", "INBOX", {generated_corpus_dir() + "/eml/headers/folded-headers.eml"});
    }
    RunResult fetch(const std::string& url, const std::string& ca_file, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args = {"fetch", dir / "cache", "--from", url, "--password-file", password_file,
                                         "--ca-file", ca_file, "--no-progress"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_mailferry(args);
    }
};

}  // namespace

TEST_CASE("certificates for another host name or out of date are refused before any password is sent",
          "[security][tls]") {
    Server s;
    const std::string certs = make_certs(s.dir);
    auto through = [&](const std::string& cert_dir) {
        FaultProxy proxy(s.dovecot.imaps_port(), certs + "/" + cert_dir, {});
        auto r = s.fetch("imaps://alice@127.0.0.1:" + std::to_string(proxy.port()), certs + "/ca.pem");
        std::string log;
        for (const auto& l : proxy.log_lines()) log += l + "\n";
        return std::make_pair(r, log);
    };
    auto [good, good_log] = through("good");
    INFO(good.err);
    CHECK(good.exit_code == 0);  // the control: the same CA, a right certificate

    auto [other, other_log] = through("other-host");
    CHECK(other.exit_code == 4);
    CHECK(other.err.find("127.0.0.1") != std::string::npos);
    CHECK(other_log.find("LOGIN") == std::string::npos);

    auto [expired, expired_log] = through("expired");
    CHECK(expired.exit_code == 4);
    CHECK(expired.err.find("expired") != std::string::npos);
    CHECK(expired_log.find("LOGIN") == std::string::npos);
    for (const auto& r : {good, other, expired}) {
        CHECK(r.out.find(kPassword) == std::string::npos);
        CHECK(r.err.find(kPassword) == std::string::npos);
    }
}

TEST_CASE("a STARTTLS stripped from the capabilities is refused, never answered with a plaintext login",
          "[security][tls]") {
    Server s;
    // A man in the middle removes STARTTLS from everything the server says.
    FaultProxy proxy(s.dovecot.imap_port(), s.dovecot.dir() + "/ssl", {"--plain", "--strip-capability", "STARTTLS"});
    auto r = s.fetch("imap://alice@127.0.0.1:" + std::to_string(proxy.port()), s.dovecot.ca_file());
    CHECK(r.exit_code == 4);
    CHECK(r.err.find("does not offer STARTTLS") != std::string::npos);
    bool stripped = false;
    for (const auto& l : proxy.log_lines()) {
        CHECK(l.find("LOGIN") == std::string::npos);
        stripped = stripped || l.find("kind=strip-capability") != std::string::npos;
    }
    CHECK(stripped);
    CHECK_FALSE(fs::exists(s.dir / "cache"));

    // Only the explicit flag lets the password go in clear, and it says so.
    auto plain = s.fetch("imap://alice@127.0.0.1:" + std::to_string(proxy.port()), s.dovecot.ca_file(),
                         {"--allow-plaintext"});
    INFO(plain.err);
    CHECK(plain.exit_code == 0);
    CHECK(plain.err.find("the password goes unencrypted") != std::string::npos);
}

TEST_CASE("the password is on no command line and in no output, and the cache is private", "[security]") {
    Server s;
    s.dovecot.generate("alice", 1500, 3);
    const std::string url = "imaps://alice@127.0.0.1:" + std::to_string(s.dovecot.imaps_port());
    BackgroundRun run({"fetch", s.dir / "cache", "--from", url, "--password-env", "MF_TEST_PW", "--ca-file",
                       s.dovecot.ca_file(), "--no-progress"},
                      {{"MF_TEST_PW", kPassword}});
    std::string cmdline;
    for (int i = 0; i < 50 && cmdline.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::ifstream in("/proc/" + std::to_string(run.pid()) + "/cmdline", std::ios::binary);
        std::ostringstream all;
        all << in.rdbuf();
        cmdline = all.str();
    }
    CHECK_FALSE(cmdline.empty());
    CHECK(cmdline.find(kPassword) == std::string::npos);
    auto r = run.finish();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find(kPassword) == std::string::npos);
    CHECK(r.err.find(kPassword) == std::string::npos);

    // Owner only: the cache 0700, every directory 0700, every file 0600; no secret in any of it.
    const fs::path cache = s.dir / "cache";
    CHECK((fs::status(cache).permissions() & 0777) == 0700);
    size_t files = 0;
    for (fs::recursive_directory_iterator it(cache), end; it != end; ++it) {
        CAPTURE(it->path().string());
        auto mode = fs::status(it->path()).permissions() & 0777;
        if (fs::is_directory(it->path())) CHECK((mode & 077) == 0);
        else {
            CHECK((mode & 077) == 0);
            ++files;
            std::ifstream in(it->path().string(), std::ios::binary);
            std::ostringstream all;
            all << in.rdbuf();
            CHECK(all.str().find(kPassword) == std::string::npos);
        }
    }
    CHECK(files > 1500);
}

TEST_CASE("folder names that climb out of the cache stay inside it", "[security][paths]") {
    Server s;
    const std::string msg = generated_corpus_dir() + "/eml/headers/folded-headers.eml";
    // What Dovecot accepts of the worst (it refuses control characters and a leading '/').
    const std::vector<std::string> hostile = {"..", "../x", "a/../../b", "~x", ".hidden", "a\\b", "sp ace/.."};
    for (const auto& name : hostile) s.dovecot.load_files("alice", name, {msg});
    const fs::path root = s.dir / "jail";
    fs::create_directories(root);
    const std::string cache = (root / "cache").string();
    auto r = run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(s.dovecot.imaps_port()),
                            "--password-file", s.password_file, "--ca-file", s.dovecot.ca_file(), "--no-progress"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // Nothing beside the cache, and every message file inside cache/mail.
    std::vector<std::string> beside;
    for (fs::directory_iterator it(root), end; it != end; ++it) beside.push_back(it->path().filename().string());
    CHECK(beside == std::vector<std::string>{"cache"});
    const std::string mail = fs::canonical(fs::path(cache) / "mail").string() + "/";
    auto rows = read_cache_messages(cache);
    CHECK(rows.size() == hostile.size() + 1);
    for (const auto& row : rows) {
        CAPTURE(row.path, row.folder_raw_name);
        CHECK(fs::canonical(fs::path(cache) / row.path).string().rfind(mail, 0) == 0);
    }
    std::set<std::string> folders;
    for (const auto& [raw, f] : read_cache_folders(cache)) folders.insert(f.maildir);
    CHECK(folders.size() == read_cache_folders(cache).size());  // no two folders share a directory
}

TEST_CASE("with --debug the protocol is traced on standard error without a password or a message's contents",
          "[security][debug]") {
    Server s;
    const std::string canary = "TRACECANARYBODYWORD";
    const std::string eml = s.dir / "canary.eml";
    {
        std::ofstream out(eml, std::ios::binary);
        out << "From: a@example.org\r\nTo: b@example.org\r\nSubject: traced\r\nMessage-ID: <trace@example.org>\r\n"
               "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n" << canary << "\r\n";
    }
    s.dovecot.load_files("alice", "INBOX", {eml});
    auto hidden = [&](const RunResult& r) {
        CHECK(r.err.find(kPassword) == std::string::npos);
        CHECK(r.err.find(canary) == std::string::npos);
        CHECK(r.out.find(canary) == std::string::npos);
    };
    SECTION("IMAP fetch over STARTTLS, then replay back with APPEND literals") {
        auto r = s.fetch("imap://alice@127.0.0.1:" + std::to_string(s.dovecot.imap_port()), s.dovecot.ca_file(),
                         {"--debug"});
        INFO(r.err.substr(0, 4000));
        REQUIRE(r.exit_code == 0);
        hidden(r);
        CHECK(r.err.find("mailferry: trace [1] C: ") != std::string::npos);
        CHECK(r.err.find(" STARTTLS") != std::string::npos);
        CHECK(r.err.find("*** (") != std::string::npos);  // the LOGIN line, hidden whole
        CHECK(r.err.find(" LOGIN ") == std::string::npos);
        CHECK(r.err.find("<literal: ") != std::string::npos);  // the message, by its size
        CHECK(r.err.find("S: * OK") != std::string::npos);

        auto replay = run_mailferry({"replay", s.dir / "cache", "--to",
                                     "imaps://alice@127.0.0.1:" + std::to_string(s.dovecot.imaps_port()),
                                     "--password-file", s.password_file, "--ca-file", s.dovecot.ca_file(),
                                     "--profile", "generic", "--target-prefix", "Replayed", "--no-progress", "--debug"});
        INFO(replay.err.substr(0, 4000));
        REQUIRE(replay.exit_code == 0);
        hidden(replay);
        CHECK(replay.err.find(" APPEND ") != std::string::npos);
        CHECK(replay.err.find("<literal: ") != std::string::npos);
    }
    SECTION("POP3: PASS hidden, RETR answered by a byte count") {
        auto r = s.fetch("pop3s://alice@127.0.0.1:" + std::to_string(s.dovecot.pop3s_port()), s.dovecot.ca_file(),
                         {"--debug"});
        INFO(r.err.substr(0, 4000));
        REQUIRE(r.exit_code == 0);
        hidden(r);
        CHECK(r.err.find("C: USER alice") != std::string::npos);
        CHECK(r.err.find("C: PASS") == std::string::npos);
        CHECK(r.err.find("*** (") != std::string::npos);
        CHECK(r.err.find("C: RETR ") != std::string::npos);
        CHECK(r.err.find("<message: ") != std::string::npos);
    }
    SECTION("without --debug, no trace") {
        auto r = s.fetch("imaps://alice@127.0.0.1:" + std::to_string(s.dovecot.imaps_port()), s.dovecot.ca_file());
        REQUIRE(r.exit_code == 0);
        CHECK(r.err.find("mailferry: trace") == std::string::npos);
    }
}
