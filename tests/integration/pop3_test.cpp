// mailferry fetch from POP3 (pop3s:// and pop3:// with STLS) against the
// harness Dovecot: RETR's bytes, UIDL identity, incremental runs, kills,
// --delete-after-fetch, and AUTH XOAUTH2.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/filesystem.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "corpus_manifest.hpp"
#include "support.hpp"
#include "test_corpus.hpp"
#include "test_dovecot.hpp"
#include "test_oauth_server.hpp"

using namespace mailferry::test;
namespace fs = boost::filesystem;
using nlohmann::json;

namespace {

const std::string kUser = "alice";
const std::string kPassword = "pop3 pw, 8 words long";

// Mbox files of the generated corpus, all loaded into INBOX (POP3 has nothing
// else): list traffic, escaped and unescaped From lines, Content-Length:, a
// UTF-8 BOM, Takeout's labels and a message without Date: or Received:.
const char* const kInboxMboxes[] = {"list/list-month.mbox",     "escaping/list-mboxrd.mbox", "takeout/takeout.mbox",
                                    "content-length/cl.mbox",   "quirks/bom-from-dash.mbox", "quirks/no-date.mbox"};

std::string generated_mbox(const std::string& rel) { return generated_corpus_dir() + "/mbox/" + rel; }

// Loads kInboxMboxes; returns how many messages a correct reader finds in them
// (the harness splits at every "From " line, so the server holds at least these).
size_t load_inbox(const TestDovecot& d) {
    size_t messages = 0;
    for (const char* f : kInboxMboxes) {
        d.load_mbox(kUser, "INBOX", generated_mbox(f));
        messages += manifest_message_count(std::string("mbox/") + f);
    }
    return messages;
}

struct Pop3Account {
    TestDovecot dovecot{DovecotOptions{"dovecot", {kUser + ":" + kPassword}, true}};
    TempDir dir;
    std::string password_file = write_secret_file(dir / "password", kPassword);
    std::vector<std::string> args(const std::string& cache, const std::string& scheme = "pop3s") const {
        int port = scheme == "pop3s" ? dovecot.pop3s_port() : dovecot.pop3_port();
        return {"fetch", cache, "--from", scheme + "://" + kUser + "@127.0.0.1:" + std::to_string(port),
                "--password-file", password_file, "--ca-file", dovecot.ca_file(), "--no-progress", "--json"};
    }
};

// uid -> sha256 of every cached message (the received date of a message
// without Received: or Date: is the fetch time, which differs between runs).
std::map<uint32_t, std::string> uid_to_sha(const std::string& cache) {
    std::map<uint32_t, std::string> out;
    for (const auto& r : read_cache_messages(cache)) out[r.uid] = r.sha256;
    return out;
}

std::multiset<std::string> shas(const std::string& cache) {
    std::multiset<std::string> out;
    for (const auto& r : read_cache_messages(cache)) out.insert(r.sha256);
    return out;
}

}  // namespace

TEST_CASE("POP3 fetch stores what RETR sends, by UIDL, and a second run adds nothing", "[pop3]") {
    Pop3Account a;
    const size_t loaded = load_inbox(a.dovecot);
    const std::string cache = a.dir / "cache";
    auto first = run_mailferry(a.args(cache));
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    json j = json::parse(first.out);
    auto server = read_account(a.dovecot.imaps_port(), kUser, kPassword);
    const auto& inbox = server["INBOX"].messages;
    REQUIRE(inbox.size() >= loaded);
    CHECK(j["new_messages"] == inbox.size());
    // Dovecot sends the same bytes for RETR as for IMAP's BODY[] (CRLF line endings).
    std::multiset<std::string> on_server;
    for (const auto& m : inbox) on_server.insert(m.sha256);
    CHECK(shas(cache) == on_server);
    for (const auto& r : read_cache_messages(cache)) CHECK(sha256_of_file(cache + "/" + r.path) == r.sha256);

    auto second = run_mailferry(a.args(cache, "pop3"));  // STLS this time: same mailbox, same UIDLs
    INFO(second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(json::parse(second.out)["new_messages"] == 0);

    SECTION("new mail comes, deleted mail is marked gone, --delete-after-fetch removes only what is cached") {
        imap_command(a.dovecot.imaps_port(), kUser, kPassword, "INBOX", "UID STORE 1:3 +FLAGS (\\Deleted)");
        imap_command(a.dovecot.imaps_port(), kUser, kPassword, "INBOX", "EXPUNGE");
        REQUIRE(manifest_message_count("mbox/quirks/no-date.mbox") == 1);
        a.dovecot.load_mbox(kUser, "INBOX", generated_mbox("quirks/no-date.mbox"));
        auto third = run_mailferry(a.args(cache));
        REQUIRE(third.exit_code == 0);
        json t = json::parse(third.out);
        CHECK(t["new_messages"] == 1);
        CHECK(t["gone"] == 3);

        auto del = run_mailferry([&] {
            auto v = a.args(cache);
            v.push_back("--delete-after-fetch");
            return v;
        }());
        INFO(del.err);
        REQUIRE(del.exit_code == 0);
        CHECK(json::parse(del.out)["deleted_from_source"] == inbox.size() - 3 + 1);
        CHECK(read_account(a.dovecot.imaps_port(), kUser, kPassword)["INBOX"].messages.empty());
        CHECK(read_cache_messages(cache).size() == inbox.size() + 1);
    }
}

TEST_CASE("POP3 fetch killed at 10 random moments ends with the cache of an uninterrupted run", "[pop3][crash]") {
    Pop3Account a;
    load_inbox(a.dovecot);
    const std::string reference = a.dir / "reference", cache = a.dir / "killed";
    auto started = std::chrono::steady_clock::now();
    REQUIRE(run_mailferry(a.args(reference)).exit_code == 0);
    auto full_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    std::mt19937 rng(20261126);
    for (int i = 0; i < 10; ++i) {
        pid_t pid = spawn_mailferry(a.args(cache));
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<long>(0, full_us)(rng)));
        ::kill(pid, SIGKILL);
        wait_for(pid);
    }
    auto last = run_mailferry(a.args(cache));
    INFO(last.err);
    REQUIRE(last.exit_code == 0);
    CHECK(uid_to_sha(cache) == uid_to_sha(reference));
    std::set<std::string> indexed;
    for (const auto& r : read_cache_messages(cache)) indexed.insert(r.path);
    CHECK(message_files(cache) == indexed);
}

TEST_CASE("POP3 over AUTH XOAUTH2 with a token from the authorization server", "[pop3][oauth2]") {
    TestOAuthServer oauth(OAuthServerOptions{{kUser}});
    TestDovecot dovecot(DovecotOptions{"dovecot", {kUser + ":" + kPassword}, true, oauth.dir()});
    dovecot.load_mbox(kUser, "INBOX", generated_mbox("content-length/cl.mbox"));
    const size_t on_server = read_account(dovecot.imaps_port(), kUser, kPassword)["INBOX"].messages.size();
    REQUIRE(on_server > 0);
    TempDir dir;
    const std::string store = dir / "tokens";
    auto login = run_mailferry({"auth", "login", kUser, "--provider", "custom", "--client-id", oauth.cc_client_id(),
                                "--client-secret-file", oauth.cc_client_secret_file(), "--token-url", oauth.token_url(),
                                "--scope", oauth.scope_app(), "--token-store", store});
    REQUIRE(login.exit_code == 0);
    const std::string token = json::parse(std::ifstream(store + "/" + kUser + ".json"))["access_token"];
    auto r = run_mailferry({"fetch", dir / "cache", "--from", "pop3s://" + kUser + "@127.0.0.1:" + std::to_string(dovecot.pop3s_port()),
                            "--auth", "xoauth2", "--token-store", store, "--ca-file", dovecot.ca_file(), "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(json::parse(r.out)["new_messages"] == on_server);
    CHECK(r.out.find(token) == std::string::npos);
    CHECK(r.err.find(token) == std::string::npos);

    // A forged token and no way to renew it: one clear line, exit code 3.
    json j = json::parse(std::ifstream(store + "/" + kUser + ".json"));
    j["access_token"] = oauth.mint({"--user", kUser, "--forge"});
    j["client_secret_file"] = write_secret_file(dir / "wrong", "not the secret");
    std::ofstream(store + "/" + kUser + ".json", std::ios::trunc) << j.dump();
    auto refused = run_mailferry({"fetch", dir / "cache2", "--from", "pop3s://" + kUser + "@127.0.0.1:" + std::to_string(dovecot.pop3s_port()),
                                  "--auth", "xoauth2", "--token-store", store, "--ca-file", dovecot.ca_file()});
    CHECK(refused.exit_code == 3);
    CHECK(refused.err.find("invalid_client") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "cache2"));
}
