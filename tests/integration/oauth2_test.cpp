// OAuth2 end to end: mailferry signs in against a real authorization server
// (oidc-provider, tests/harness/oauth2) and then fetches and replays over
// XOAUTH2 against Dovecots that validate the server's JWTs themselves.
// Every test also looks for the tokens and secrets it used in everything
// mailferry printed and wrote, and fails if one shows up.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/filesystem.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support.hpp"
#include "test_corpus.hpp"
#include "test_dovecot.hpp"
#include "test_oauth_server.hpp"
#include "test_files.hpp"

using namespace mailferry::test;
namespace fs = boost::filesystem;
using nlohmann::json;

namespace {

const std::string kAlicePw = "alice pw for the test reader";
const std::string kBobPw = "bob pw for the test reader";

// Collects every secret a test handed out or received, and everything
// mailferry printed or wrote, and checks that no secret is in any of it.
struct SecretWatch {
    std::set<std::string> secrets;
    std::vector<std::string> texts;

    void output(const RunResult& r) {
        texts.push_back(r.out);
        texts.push_back(r.err);
    }
    // The tokens in a token file: they rotate, so take them after each run.
    void tokens_of(const std::string& token_file) {
        json j = json::parse(slurp(token_file));
        for (const char* k : {"access_token", "refresh_token"})
            if (!j[k].get<std::string>().empty()) secrets.insert(j[k].get<std::string>());
    }
    // Every regular file below dir (a cache: the index, the WAL, the Maildir).
    void files_below(const std::string& dir) {
        for (fs::recursive_directory_iterator it(dir), end; it != end; ++it)
            if (fs::is_regular_file(it->path())) texts.push_back(slurp(it->path().string()));
    }
    void require_clean() const {
        REQUIRE_FALSE(secrets.empty());
        for (const auto& s : secrets) {
            REQUIRE(s.size() >= 8);
            for (const auto& t : texts) REQUIRE(t.find(s) == std::string::npos);
        }
    }
};

// mailferry auth login through the device flow, with the test approving the
// code on the server's own pages as the user would in a browser.
RunResult device_login(const TestOAuthServer& oauth, const std::string& account, const std::string& store,
                       const std::string& user, bool deny = false) {
    BackgroundRun login({"auth", "login", account, "--provider", "custom", "--client-id", oauth.device_client_id(),
                         "--device-code-url", oauth.device_url(), "--token-url", oauth.token_url(), "--scope",
                         oauth.scope_delegated(), "--token-store", store, "--json"});
    std::string line = login.wait_for_line("\"user_code\"", 30);
    REQUIRE_FALSE(line.empty());
    json event = json::parse(line);
    CHECK(event["verification_uri"].get<std::string>().find("/devicelogin") != std::string::npos);
    oauth.approve(event["user_code"].get<std::string>(), user, deny);
    return login.finish();
}

std::vector<std::string> cc_login_args(const TestOAuthServer& oauth, const std::string& account,
                                       const std::string& store, const std::string& secret_file) {
    return {"auth", "login", account, "--provider", "custom", "--client-id", oauth.cc_client_id(),
            "--client-secret-file", secret_file, "--token-url", oauth.token_url(), "--scope", oauth.scope_app(),
            "--token-store", store, "--json"};
}

}  // namespace

TEST_CASE("auth login signs a user in with the device flow and keeps the token private", "[oauth2]") {
    TestOAuthServer oauth(OAuthServerOptions{{"alice"}});
    TempDir dir;
    const std::string store = dir / "tokens";
    SecretWatch watch;

    auto r = device_login(oauth, "alice", store, "alice");
    watch.output(r);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("\"event\":\"signed_in\"") != std::string::npos);
    CHECK(mode_of(store) == 0700);
    CHECK(mode_of(store + "/alice.json") == 0600);
    json stored = json::parse(slurp(store + "/alice.json"));
    CHECK(stored["flow"] == "device");
    CHECK_FALSE(stored["refresh_token"].get<std::string>().empty());
    watch.tokens_of(store + "/alice.json");

    auto status = run_mailferry({"auth", "status", "--token-store", store, "--json"});
    watch.output(status);
    REQUIRE(status.exit_code == 0);
    json st = json::parse(status.out);
    REQUIRE(st["accounts"].size() == 1);
    CHECK(st["accounts"][0]["account"] == "alice");
    CHECK(st["accounts"][0]["refreshable"] == true);
    CHECK(st["accounts"][0]["expired"] == false);
    auto human = run_mailferry({"auth", "status", "alice", "--token-store", store});
    watch.output(human);
    CHECK(human.out.find("alice  custom, device code") != std::string::npos);

    auto out = run_mailferry({"auth", "logout", "alice", "--token-store", store});
    watch.output(out);
    CHECK(out.exit_code == 0);
    CHECK_FALSE(fs::exists(store + "/alice.json"));
    CHECK(run_mailferry({"auth", "logout", "alice", "--token-store", store}).exit_code != 0);
    watch.require_clean();
}

TEST_CASE("the device flow ends clearly when the user declines, the code expires, or the server says slow_down",
          "[oauth2]") {
    TempDir dir;
    SECTION("declined") {
        TestOAuthServer oauth(OAuthServerOptions{{"alice"}});
        auto r = device_login(oauth, "alice", dir / "t", "alice", /*deny=*/true);
        CHECK(r.exit_code == 3);
        CHECK(r.err.find("declined") != std::string::npos);
        CHECK_FALSE(fs::exists(dir / "t/alice.json"));
    }
    SECTION("expired") {
        OAuthServerOptions o{{"alice"}};
        o.device_code_lifetime = 3;
        TestOAuthServer oauth(o);
        BackgroundRun login({"auth", "login", "alice", "--provider", "custom", "--client-id", oauth.device_client_id(),
                             "--device-code-url", oauth.device_url(), "--token-url", oauth.token_url(), "--scope",
                             oauth.scope_delegated(), "--token-store", dir / "t"});
        auto r = login.finish();
        CHECK(r.exit_code == 3);
        CHECK(r.err.find("expired") != std::string::npos);
        CHECK(r.out.find("enter the code") != std::string::npos);
    }
    SECTION("slow_down adds five seconds to the interval") {
        OAuthServerOptions o{{"alice"}};
        o.slow_down = 1;
        TestOAuthServer oauth(o);
        BackgroundRun login({"auth", "login", "alice", "--provider", "custom", "--client-id", oauth.device_client_id(),
                             "--device-code-url", oauth.device_url(), "--token-url", oauth.token_url(), "--scope",
                             oauth.scope_delegated(), "--token-store", dir / "t", "--json"});
        std::string line = login.wait_for_line("\"user_code\"", 30);
        REQUIRE_FALSE(line.empty());
        // The first poll (after the 1-second interval) gets slow_down; the next comes 6 s later.
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        oauth.approve(json::parse(line)["user_code"].get<std::string>(), "alice");
        auto r = login.finish();
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("every 6 s") != std::string::npos);
    }
}

TEST_CASE("client credentials sign an application in with a secret or a certificate, wrong ones are refused",
          "[oauth2]") {
    TestOAuthServer oauth(OAuthServerOptions{{"alice", "bob"}});
    TempDir dir;
    SecretWatch watch;
    const std::string secret = slurp(oauth.cc_client_secret_file()).substr(0, slurp(oauth.cc_client_secret_file()).find('\n'));
    watch.secrets.insert(secret);

    auto r = run_mailferry(cc_login_args(oauth, "bob", dir / "t", oauth.cc_client_secret_file()));
    watch.output(r);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    json stored = json::parse(slurp(dir / "t/bob.json"));
    CHECK(stored["flow"] == "client_credentials");
    CHECK(stored["client_secret_file"] == oauth.cc_client_secret_file());
    CHECK(slurp(dir / "t/bob.json").find(secret) == std::string::npos);
    watch.tokens_of(dir / "t/bob.json");

    auto wrong = run_mailferry(cc_login_args(oauth, "bob2", dir / "t", write_secret_file(dir / "wrong", "not-the-secret")));
    watch.output(wrong);
    CHECK(wrong.exit_code == 3);
    CHECK(wrong.err.find("invalid_client") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "t/bob2.json"));

    // Microsoft's certificate credential: a client assertion signed with the certificate's key.
    auto cert_args = [&](const std::string& account, const std::string& key) {
        return std::vector<std::string>{"auth", "login", account, "--provider", "custom", "--client-id",
                                        oauth.cc_cert_client_id(), "--client-cert", oauth.cc_cert_file(),
                                        "--client-key", key, "--token-url", oauth.token_url(), "--scope",
                                        oauth.scope_app(), "--token-store", dir / "t", "--json"};
    };
    REQUIRE_FALSE(oauth.cc_cert_client_id().empty());
    auto cert = run_mailferry(cert_args("carol", oauth.cc_key_file()));
    watch.output(cert);
    INFO(cert.err);
    CHECK(cert.exit_code == 0);
    CHECK(json::parse(slurp(dir / "t/carol.json"))["client_cert_file"] == oauth.cc_cert_file());
    watch.tokens_of(dir / "t/carol.json");
    std::system(("openssl genrsa -out '" + (dir / "other-key.pem") + "' 2048 2>/dev/null").c_str());
    auto other_key = run_mailferry(cert_args("dave", dir / "other-key.pem"));
    watch.output(other_key);
    CHECK(other_key.exit_code == 3);
    CHECK(other_key.err.find("invalid_client") != std::string::npos);

    auto plain = run_mailferry({"auth", "login", "bob", "--provider", "custom", "--client-id", oauth.cc_client_id(),
                                "--client-secret-file", oauth.cc_client_secret_file(), "--token-url",
                                "http://192.0.2.1/token", "--scope", oauth.scope_app(), "--token-store", dir / "t"});
    CHECK(plain.exit_code == 2);
    CHECK(plain.err.find("must not travel unencrypted") != std::string::npos);
    watch.require_clean();
}

TEST_CASE("fetch and replay the generated corpus over XOAUTH2 with 60-second tokens, renewing them in mid-run",
          "[oauth2][corpus]") {
    OAuthServerOptions oo{{"alice", "bob"}};
    oo.token_lifetime = 60;
    oo.cc_mailbox = "bob";
    TestOAuthServer oauth(oo);
    TestDovecot source(DovecotOptions{"dovecot", {"alice:" + kAlicePw}, true, oauth.dir()});
    TestDovecot target(DovecotOptions{"exchange", {"bob:" + kBobPw}, true, oauth.dir()});
    load_corpus(source, generated_corpus_dir(), "alice", kAlicePw);
    TempDir dir;
    const std::string store = dir / "tokens", cache = dir / "cache";
    SecretWatch watch;
    watch.secrets.insert(slurp(oauth.cc_client_secret_file()).substr(0, slurp(oauth.cc_client_secret_file()).find('\n')));

    // The source user signs in herself; the target is reached by an app (client credentials).
    auto login = device_login(oauth, "alice", store, "alice");
    REQUIRE(login.exit_code == 0);
    watch.tokens_of(store + "/alice.json");
    auto app = run_mailferry(cc_login_args(oauth, "bob", store, oauth.cc_client_secret_file()));
    REQUIRE(app.exit_code == 0);
    watch.tokens_of(store + "/bob.json");

    auto fetch = run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(source.imaps_port()),
                                "--auth", "xoauth2", "--token-store", store, "--ca-file", source.ca_file(),
                                "--no-progress", "--json", "--connections", "2"});
    watch.output(fetch);
    INFO(fetch.err);
    REQUIRE(fetch.exit_code == 0);
    CHECK(json::parse(fetch.out)["auth"] == "xoauth2");
    require_cache_matches_server(cache, read_account(source.imaps_port(), "alice", kAlicePw));
    watch.tokens_of(store + "/alice.json");

    // The replay is paced to last well over a minute (80 s for the cached
    // messages: what office365 skips takes no time), its line is cut past
    // twice the largest message (which must get through whole), and one APPEND
    // in 50 is throttled with a BYE, as Exchange does: the reconnects after the
    // first minute need a renewed token.
    const auto cached = read_cache_messages(cache);
    uint64_t largest = 0;
    for (const auto& r : cached) largest = std::max(largest, r.size);
    const std::string pace = std::to_string(std::max<size_t>(1, cached.size() / 80));
    const std::string cut = std::to_string(std::max<uint64_t>(2000000, 2 * largest));
    FaultProxy proxy(target.imaps_port(), target.dir() + "/ssl",
                     {"--drop-after-bytes", cut, "--rule",
                      "APPEND:every=50:reply=BAD Request is throttled. Suggested Backoff Time: 500 milliseconds"
                      ":bye=* BYE Connection closed. 14"});
    auto replay = run_mailferry({"replay", cache, "--to", "imaps://bob@127.0.0.1:" + std::to_string(proxy.port()),
                                 "--auth", "xoauth2", "--token-store", store, "--ca-file", target.ca_file(),
                                 "--profile", "office365", "--no-progress", "--json", "--connections", "2",
                                 "--max-messages-per-second", pace});
    watch.output(replay);
    INFO(replay.err);
    REQUIRE(replay.exit_code == 0);
    json rj = json::parse(replay.out);
    CHECK(rj["auth"] == "xoauth2");
    CHECK(rj["token_refreshes"].get<int>() >= 1);
    CHECK(rj["seconds"].get<double>() > 60);
    CHECK(rj["failed"].empty());
    size_t on_target = 0;
    for (const auto& [name, folder] : read_account(target.imaps_port(), "bob", kBobPw)) on_target += folder.messages.size();
    // An APPEND whose reply the cut line lost is found on the target by the
    // next connection (resolved), not appended twice.
    CHECK(on_target == rj["appended"].get<size_t>() + rj["resolved_after_crash"].get<size_t>());
    CHECK(on_target + rj["skipped"].size() == cached.size());
    watch.tokens_of(store + "/bob.json");

    watch.files_below(cache);
    watch.require_clean();
}

TEST_CASE("watch over XOAUTH2 on both sides keeps going past its tokens' lifetime, renewing them",
          "[oauth2][watch]") {
    OAuthServerOptions oo{{"alice", "bob"}};
    oo.token_lifetime = 20;  // renewed 5 s before they end: several times during the watch
    oo.cc_mailbox = "bob";
    TestOAuthServer oauth(oo);
    TestDovecot source(DovecotOptions{"dovecot", {"alice:" + kAlicePw}, true, oauth.dir()});
    TestDovecot target(DovecotOptions{"exchange", {"bob:" + kBobPw}, true, oauth.dir()});
    TempDir dir;
    const std::string store = dir / "tokens", cache = dir / "cache";
    REQUIRE(device_login(oauth, "alice", store, "alice").exit_code == 0);
    REQUIRE(run_mailferry(cc_login_args(oauth, "bob", store, oauth.cc_client_secret_file())).exit_code == 0);
    SecretWatch secrets;
    secrets.tokens_of(store + "/alice.json");
    secrets.tokens_of(store + "/bob.json");
    const std::string first_alice = json::parse(slurp(store + "/alice.json"))["access_token"];
    const std::string first_bob = json::parse(slurp(store + "/bob.json"))["access_token"];

    auto message = [](int n) {
        return "From: a@example.org\r\nTo: alice@example.org\r\nSubject: token watch " + std::to_string(n) +
               "\r\nMessage-ID: <token-watch-" + std::to_string(n) + "@mailferry.test>\r\n\r\nbody " +
               std::to_string(n) + "\r\n";
    };
    auto append = [&](int n) {
        const std::string m = message(n);
        imap_command(source.imaps_port(), "alice", kAlicePw, "",
                     "APPEND INBOX {" + std::to_string(m.size()) + "+}\r\n" + m);
    };
    auto target_inbox = [&](size_t n) {
        size_t got = 0;
        for (int i = 0; i < 300 && got < n; ++i) {
            auto account = read_account(target.imaps_port(), "bob", kBobPw);
            got = account.count("INBOX") ? account.at("INBOX").messages.size() : 0;
            if (got < n) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return got;
    };
    append(1);
    BackgroundRun watch({"watch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(source.imaps_port()),
                         "--auth", "xoauth2", "--token-store", store, "--ca-file", source.ca_file(), "--to",
                         "imaps://bob@127.0.0.1:" + std::to_string(target.imaps_port()), "--target-auth", "xoauth2",
                         "--target-token-store", store, "--target-ca-file", target.ca_file(), "--profile", "office365",
                         "--poll-interval", "10m", "--json", "--no-progress"});
    REQUIRE_FALSE(watch.wait_for_line("\"event\":\"pass\"", 60).empty());
    CHECK(target_inbox(1) == 1);
    // New mail over 40 s, twice the tokens' lifetime: each pass's connections need live tokens.
    for (int n = 2; n <= 5; ++n) {
        std::this_thread::sleep_for(std::chrono::seconds(10));
        append(n);
        CHECK(target_inbox(static_cast<size_t>(n)) == static_cast<size_t>(n));
    }
    REQUIRE(::kill(watch.pid(), SIGTERM) == 0);
    auto ended = watch.finish();
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
    CHECK(json::parse(slurp(store + "/alice.json"))["access_token"] != first_alice);
    CHECK(json::parse(slurp(store + "/bob.json"))["access_token"] != first_bob);
    secrets.tokens_of(store + "/alice.json");
    secrets.tokens_of(store + "/bob.json");
    secrets.output(ended);
    secrets.files_below(cache);
    secrets.require_clean();
}

TEST_CASE("a refused access token is renewed once, a revoked grant, a forged token or Exchange's NO end clearly",
          "[oauth2][errors]") {
    TestOAuthServer oauth(OAuthServerOptions{{"alice"}});
    TestDovecot server(DovecotOptions{"dovecot", {"alice:" + kAlicePw}, true, oauth.dir()});
    std::vector<std::string> files;
    for (const char* group : {"eml/headers", "eml/charsets", "eml/encodings"})
        for (const auto& f : generated_message_files(group))
            if (files.size() < 20) files.push_back(f);
    server.load_files("alice", "INBOX", files);
    TempDir dir;
    const std::string store = dir / "tokens", token_file = store + "/alice.json";
    SecretWatch watch;
    REQUIRE(device_login(oauth, "alice", store, "alice").exit_code == 0);
    watch.tokens_of(token_file);
    const std::string forged = oauth.mint({"--user", "alice", "--forge"});
    watch.secrets.insert(forged);
    auto plant = [&](const std::string& access_token) {
        json j = json::parse(slurp(token_file));
        j["access_token"] = access_token;
        std::ofstream(token_file, std::ios::trunc) << j.dump();
    };
    auto fetch = [&](const std::string& cache, int port) {
        auto r = run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(port), "--auth",
                                "xoauth2", "--token-store", store, "--ca-file", server.ca_file(), "--no-progress",
                                "--json"});
        watch.output(r);
        return r;
    };

    // A token the server refuses (here: forged) is renewed with the refresh token, once.
    plant(forged);
    auto renewed = fetch(dir / "c1", server.imaps_port());
    INFO(renewed.err);
    REQUIRE(renewed.exit_code == 0);
    CHECK(json::parse(renewed.out)["token_refreshes"] == 1);
    watch.tokens_of(token_file);

    // Exchange answers a bad token with an immediate tagged NO, no challenge.
    {
        FaultProxy proxy(server.imaps_port(), server.dir() + "/ssl",
                         {"--rule", "AUTHENTICATE:reply=NO AUTHENTICATE failed."});
        auto r = fetch(dir / "c2", proxy.port());
        CHECK(r.exit_code == 3);
        CHECK(r.err.find("rejected the OAuth2 token") != std::string::npos);
        CHECK(r.err.find("AUTHENTICATE failed.") != std::string::npos);
        CHECK_FALSE(fs::exists(dir / "c2"));
        watch.tokens_of(token_file);
    }

    // The grant revoked at the provider: the refresh fails, the message says what to do.
    json j = json::parse(slurp(token_file));
    // One base64url token in 64 begins with '-': the harness's client must still take it as the token
    // (RFC 7009: an unknown token is "revoked" with a 200).
    oauth.token({"revoke", "-J" + j["refresh_token"].get<std::string>(), "--hint", "refresh_token"});
    oauth.token({"revoke", j["refresh_token"].get<std::string>(), "--hint", "refresh_token"});
    plant(forged);
    auto revoked = fetch(dir / "c3", server.imaps_port());
    CHECK(revoked.exit_code == 3);
    CHECK(revoked.err.find("auth login") != std::string::npos);
    CHECK(std::count(revoked.err.begin(), revoked.err.end(), '\n') == 1);
    CHECK_FALSE(fs::exists(dir / "c3"));

    // No token at all for the account.
    auto none = run_mailferry({"fetch", dir / "c4", "--from", "imaps://carol@127.0.0.1:" + std::to_string(server.imaps_port()),
                               "--auth", "xoauth2", "--token-store", store, "--ca-file", server.ca_file()});
    watch.output(none);
    CHECK(none.exit_code != 0);
    CHECK(none.err.find("auth login carol") != std::string::npos);
    watch.require_clean();
}

TEST_CASE("a server that offers OAUTHBEARER and not XOAUTH2 gets OAUTHBEARER", "[oauth2]") {
    TestOAuthServer oauth(OAuthServerOptions{{"alice"}});
    DovecotOptions o{"dovecot", {"alice:" + kAlicePw}, true, oauth.dir()};
    o.oauth2_mechanisms = "oauthbearer";
    TestDovecot server(o);
    server.load_files("alice", "INBOX", {generated_corpus_dir() + "/eml/headers/folded-headers.eml"});
    TempDir dir;
    const std::string store = dir / "tokens";
    SecretWatch watch;
    REQUIRE(device_login(oauth, "alice", store, "alice").exit_code == 0);
    watch.tokens_of(store + "/alice.json");
    const std::vector<std::string> fetch = {"fetch", dir / "cache", "--from",
                                            "imaps://alice@127.0.0.1:" + std::to_string(server.imaps_port()),
                                            "--auth", "xoauth2", "--token-store", store, "--ca-file", server.ca_file(),
                                            "--json"};
    auto ok = run_mailferry(fetch);
    watch.output(ok);
    INFO(ok.err);
    REQUIRE(ok.exit_code == 0);
    CHECK(json::parse(ok.out)["new_messages"] == 1);
    CHECK(slurp(server.dir() + "/dovecot.log").find("method=OAUTHBEARER") != std::string::npos);

    // Refused there too, and with no refresh token to fall back on: one clear line.
    json j = json::parse(slurp(store + "/alice.json"));
    j["access_token"] = oauth.mint({"--user", "alice", "--forge"});
    j["refresh_token"] = "";
    watch.secrets.insert(j["access_token"].get<std::string>());
    std::ofstream(store + "/alice.json", std::ios::trunc) << j.dump();
    auto refused = run_mailferry(fetch);
    watch.output(refused);
    CHECK(refused.exit_code == 3);
    CHECK(refused.err.find("was rejected and there is no refresh token") != std::string::npos);
    watch.require_clean();
}
