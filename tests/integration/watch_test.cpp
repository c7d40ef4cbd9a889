// mailferry watch against a real Dovecot as source and target (issue 15):
// new mail delivered during the watch, by dovecot-lda as an MTA would and by
// an APPEND from a second client, reaches the cache and the target once,
// woken by IDLE (the poll interval is ten minutes); a flag set at the source
// follows; a message deleted at the source stays on the target; a second watch on the
// cache is refused; status shows the watch while it runs and after; SIGTERM
// ends it with exit 0; --until ends it after a
// final pass that takes what came last, in a folder IDLE does not watch; and
// an IDLE line dropped (the proxy in front of the source stopped, then
// started again on the same port) is survived, and so is a target whose
// line drops during the replay; and a watch killed with
// SIGKILL again and again while mail arrives, then restarted, leaves each
// message on the target exactly once. With --propagate-deletes, what the
// source expunged leaves the target, and nothing else does. --idle-folder
// adds an IDLE on Sent. A POP3 source is polled.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/filesystem.hpp>
#include <chrono>
#include <random>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "support.hpp"
#include "test_dovecot.hpp"
#include "wrap/sha256.hpp"

using namespace mailferry::test;

namespace {

const std::string kSource = "wsource", kSourcePassword = "watched source 15";
const std::string kTarget = "wtarget", kTargetPassword = "watch target 15";

std::string message(int n) {
    return "From: Sender " + std::to_string(n) + " <sender" + std::to_string(n) +
           "@example.org>\r\nTo: wsource@example.org\r\nSubject: watched message " + std::to_string(n) +
           "\r\nDate: Mon, 07 Dec 2026 10:0" + std::to_string(n % 10) + ":00 +0000\r\nMessage-ID: <watch-" +
           std::to_string(n) + "@mailferry.test>\r\n\r\nbody of message " + std::to_string(n) + "\r\n";
}

struct Rig {
    TestDovecot dovecot{DovecotOptions{"dovecot", {kSource + ":" + kSourcePassword, kTarget + ":" + kTargetPassword}, false}};
    TempDir dir;
    std::string cache = dir / "cache";
    std::string source_password = write_secret_file(dir / "source-pw", kSourcePassword);
    std::string target_password = write_secret_file(dir / "target-pw", kTargetPassword);

    int target_port = 0;  // 0: Dovecot's own; else a fault proxy's in front of it

    std::vector<std::string> watch_args(int source_port, std::vector<std::string> extra = {}) const {
        const std::string port = std::to_string(target_port ? target_port : dovecot.imaps_port());
        std::vector<std::string> a = {
            "watch", cache, "--from", "imaps://" + kSource + "@127.0.0.1:" + std::to_string(source_port),
            "--password-file", source_password, "--ca-file", dovecot.ca_file(),
            "--to", "imaps://" + kTarget + "@127.0.0.1:" + port, "--target-password-file", target_password,
            "--target-ca-file", dovecot.ca_file(), "--profile", "generic", "--poll-interval", "10m", "--json",
            "--no-progress"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    void deliver(int n) const {
        const std::string file = dir / ("m" + std::to_string(n) + ".eml");
        std::ofstream(file, std::ios::binary) << message(n);
        dovecot.deliver(kSource, file);
    }
    void append(const std::string& folder, int n) const {
        const std::string m = message(n);
        imap_command(dovecot.imaps_port(), kSource, kSourcePassword, "",
                     "APPEND " + folder + " {" + std::to_string(m.size()) + "+}\r\n" + m);
    }
    // The SHA-256s of what the target folder holds, once it holds n messages (or after 30 s).
    // Whether the target's copy of `bytes` comes to have exactly these flags (within 30 s).
    bool target_flags_of(const std::string& bytes, const std::string& flags) const {
        const std::string sha = mailferry::wrap::sha256_hex(bytes);
        for (int i = 0; i < 300; ++i) {
            for (const auto& [name, folder] : read_account(dovecot.imaps_port(), kTarget, kTargetPassword))
                for (const auto& m : folder.messages)
                    if (m.sha256 == sha && m.flags == flags) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    }
    std::multiset<std::string> target_once(const std::string& folder, size_t n) const {
        std::multiset<std::string> got;
        for (int i = 0; i < 300; ++i) {
            got.clear();
            auto account = read_account(dovecot.imaps_port(), kTarget, kTargetPassword);
            if (account.count(folder))
                for (const auto& m : account.at(folder).messages) got.insert(m.sha256);
            if (got.size() >= n) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return got;
    }
};

std::multiset<std::string> hashes_of(std::initializer_list<int> ns) {
    std::multiset<std::string> out;
    for (int n : ns) out.insert(mailferry::wrap::sha256_hex(message(n)));
    return out;
}

nlohmann::json summary_of(const RunResult& r) {
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        auto j = nlohmann::json::parse(line);  // every line of --json is one object
        if (j["event"] == "summary") return j;
    }
    return {};
}

}  // namespace

TEST_CASE("watch carries mail delivered by dovecot-lda and by APPEND to cache and target once, and ends on SIGTERM",
          "[watch]") {
    Rig rig;
    rig.deliver(1);
    rig.deliver(2);
    BackgroundRun watch(rig.watch_args(rig.dovecot.imaps_port()));
    REQUIRE_FALSE(watch.wait_for_line("\"event\":\"pass\"", 60).empty());
    CHECK(rig.target_once("INBOX", 2) == hashes_of({1, 2}));

    // With a poll interval of ten minutes, only IDLE can bring these over in time.
    rig.deliver(3);
    CHECK(rig.target_once("INBOX", 3) == hashes_of({1, 2, 3}));
    rig.append("INBOX", 4);
    CHECK(rig.target_once("INBOX", 4) == hashes_of({1, 2, 3, 4}));

    // Read at the source: the flag follows to the target. Deleted at the
    // source: recorded, and the target keeps it.
    imap_command(rig.dovecot.imaps_port(), kSource, kSourcePassword, "INBOX", "UID STORE 1 +FLAGS (\\Seen \\Flagged)");
    CHECK(rig.target_flags_of(message(1), "\\Seen \\Flagged"));
    imap_command(rig.dovecot.imaps_port(), kSource, kSourcePassword, "INBOX", "UID STORE 2 +FLAGS (\\Deleted)");
    imap_command(rig.dovecot.imaps_port(), kSource, kSourcePassword, "INBOX", "EXPUNGE");
    REQUIRE_FALSE(watch.wait_for_line("\"gone\":1", 30).empty());
    CHECK(rig.target_once("INBOX", 4) == hashes_of({1, 2, 3, 4}));

    // status reads the cache beside the watch, and shows it.
    auto status = run_mailferry({"status", rig.cache, "--json"});
    REQUIRE(status.exit_code == 0);
    auto running = nlohmann::json::parse(status.out)["watch"];
    CHECK(running["state"] == "running");
    CHECK(running["pid"] == watch.pid());
    CHECK(running["new_messages"].get<int>() >= 3);

    auto second = run_mailferry(rig.watch_args(rig.dovecot.imaps_port()));
    CHECK(second.exit_code == 2);
    CHECK(second.err.find("in use by another mailferry run") != std::string::npos);

    REQUIRE(::kill(watch.pid(), SIGTERM) == 0);
    auto ended = watch.finish();
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
    auto summary = summary_of(ended);
    CHECK(summary["ended_by"] == "signal");
    CHECK(summary["new_messages"] == 4);
    CHECK(summary["appended"] == 4);
    CHECK(summary["idle"] == true);
    CHECK(read_cache_messages(rig.cache).size() == 4);
    auto after = nlohmann::json::parse(run_mailferry({"status", rig.cache, "--json"}).out)["watch"];
    CHECK(after["state"] == "ok");
    CHECK(after["ended_by"] == "signal");
    CHECK(after["appended"] == 4);
    // Nothing more reached the target after the stop, and nothing twice.
    CHECK(rig.target_once("INBOX", 4) == hashes_of({1, 2, 3, 4}));
}

TEST_CASE("watch --propagate-deletes removes from the target what the source expunged, and nothing else",
          "[watch]") {
    Rig rig;
    rig.deliver(1);
    rig.deliver(2);
    rig.deliver(3);
    BackgroundRun watch(rig.watch_args(rig.dovecot.imaps_port(), {"--propagate-deletes"}));
    REQUIRE_FALSE(watch.wait_for_line("\"event\":\"pass\"", 60).empty());
    REQUIRE(rig.target_once("INBOX", 3) == hashes_of({1, 2, 3}));

    // Someone else's message on the target, marked \Deleted and not expunged:
    // a plain EXPUNGE would take it too.
    const std::string theirs = message(9);
    imap_command(rig.dovecot.imaps_port(), kTarget, kTargetPassword, "",
                 "APPEND INBOX (\\Deleted) {" + std::to_string(theirs.size()) + "+}\r\n" + theirs);
    imap_command(rig.dovecot.imaps_port(), kSource, kSourcePassword, "INBOX", "UID STORE 2 +FLAGS (\\Deleted)");
    imap_command(rig.dovecot.imaps_port(), kSource, kSourcePassword, "INBOX", "EXPUNGE");

    std::multiset<std::string> on_target;
    for (int i = 0; i < 300 && on_target != hashes_of({1, 3, 9}); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        on_target.clear();
        auto account = read_account(rig.dovecot.imaps_port(), kTarget, kTargetPassword);
        for (const auto& m : account["INBOX"].messages) on_target.insert(m.sha256);
    }
    CHECK(on_target == hashes_of({1, 3, 9}));

    REQUIRE(::kill(watch.pid(), SIGTERM) == 0);
    auto ended = watch.finish();
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
    auto summary = summary_of(ended);
    CHECK(summary["deleted_on_target"] == 1);
    CHECK(summary["gone"] == 1);
    CHECK(read_cache_messages(rig.cache).size() == 3);  // the cache keeps the deleted one

    // A replay afterwards deletes nothing twice.
    auto replay = run_mailferry({"replay", rig.cache, "--to",
                                 "imaps://" + kTarget + "@127.0.0.1:" + std::to_string(rig.dovecot.imaps_port()),
                                 "--password-file", rig.target_password, "--ca-file", rig.dovecot.ca_file(),
                                 "--profile", "generic", "--propagate-deletes", "--json"});
    INFO(replay.err);
    CHECK(replay.exit_code == 0);
    CHECK(nlohmann::json::parse(replay.out)["deleted_on_target"] == 0);
    CHECK(rig.target_once("INBOX", 3) == hashes_of({1, 3, 9}));
}

TEST_CASE("watch --idle-folder keeps a second IDLE on the Sent folder, found by its special use", "[watch]") {
    Rig rig;
    imap_command(rig.dovecot.imaps_port(), kSource, kSourcePassword, "", "CREATE Sent");
    rig.deliver(1);

    // A folder the source does not have is refused at once, before the cache is touched.
    auto missing = run_mailferry(rig.watch_args(rig.dovecot.imaps_port(), {"--idle-folder", "No such folder"}));
    CHECK(missing.exit_code != 0);
    CHECK(missing.err.find("No such folder") != std::string::npos);
    CHECK_FALSE(boost::filesystem::exists(rig.cache));

    BackgroundRun watch(rig.watch_args(rig.dovecot.imaps_port(), {"--idle-folder", "\\Sent"}));
    REQUIRE_FALSE(watch.wait_for_line("\"event\":\"pass\"", 60).empty());
    REQUIRE(rig.target_once("INBOX", 1) == hashes_of({1}));
    // Polls are ten minutes apart: only the IDLE on Sent can bring these in time.
    rig.append("Sent", 6);
    CHECK(rig.target_once("Sent", 1) == hashes_of({6}));
    rig.deliver(2);  // and INBOX's IDLE still serves
    CHECK(rig.target_once("INBOX", 2) == hashes_of({1, 2}));
    rig.append("Sent", 7);
    CHECK(rig.target_once("Sent", 2) == hashes_of({6, 7}));

    REQUIRE(::kill(watch.pid(), SIGTERM) == 0);
    auto ended = watch.finish();
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
    CHECK(summary_of(ended)["appended"] == 4);
}

TEST_CASE("watch on a POP3 source polls, takes each new message once, and carries it on", "[watch][pop3]") {
    Rig rig;
    rig.deliver(1);
    std::vector<std::string> args = rig.watch_args(rig.dovecot.imaps_port());
    const std::string imap_source = "imaps://" + kSource + "@127.0.0.1:" + std::to_string(rig.dovecot.imaps_port());
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == imap_source) args[i] = "pop3s://" + kSource + "@127.0.0.1:" + std::to_string(rig.dovecot.pop3s_port());
        if (args[i] == "--poll-interval") args[i + 1] = "1s";  // no IDLE in POP3: the poll is all there is
    }
    BackgroundRun watch(args);
    if (watch.wait_for_line("\"event\":\"pass\"", 60).empty()) {
        auto failed = watch.finish();
        FAIL(failed.err);
    }
    CHECK(rig.target_once("INBOX", 1) == hashes_of({1}));
    rig.deliver(2);
    rig.deliver(3);
    CHECK(rig.target_once("INBOX", 3) == hashes_of({1, 2, 3}));
    // Passes go on (a poll a second) without taking anything twice.
    std::this_thread::sleep_for(std::chrono::seconds(3));

    REQUIRE(::kill(watch.pid(), SIGTERM) == 0);
    auto ended = watch.finish();
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
    auto summary = summary_of(ended);
    CHECK(summary["idle"] == false);
    CHECK(summary["new_messages"] == 3);
    CHECK(summary["passes"].get<int>() >= 4);
    CHECK(read_cache_messages(rig.cache).size() == 3);
    CHECK(rig.target_once("INBOX", 3) == hashes_of({1, 2, 3}));
}

TEST_CASE("watch --until ends after a final pass that takes what came last, in a folder IDLE does not watch",
          "[watch]") {
    Rig rig;
    rig.deliver(1);
    const auto started = std::chrono::steady_clock::now();
    BackgroundRun watch(rig.watch_args(rig.dovecot.imaps_port(), {"--until", "+8s"}));
    REQUIRE_FALSE(watch.wait_for_line("\"event\":\"pass\"", 60).empty());
    // A folder made during the watch, and mail in it: no IDLE there, and the
    // next poll is ten minutes away.
    imap_command(rig.dovecot.imaps_port(), kSource, kSourcePassword, "", "CREATE Archive");
    rig.append("Archive", 5);
    auto ended = watch.finish();
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::seconds(7));
    auto summary = summary_of(ended);
    CHECK(summary["ended_by"] == "until");
    CHECK(ended.out.find("\"final\":true") != std::string::npos);
    CHECK(rig.target_once("Archive", 1) == hashes_of({5}));
    CHECK(rig.target_once("INBOX", 1) == hashes_of({1}));
}

TEST_CASE("watch survives its IDLE line dropped and the source away for a while, then carries the next message",
          "[watch][faults]") {
    Rig rig;
    rig.deliver(1);
    auto proxy = std::make_unique<FaultProxy>(rig.dovecot.imaps_port(), rig.dovecot.dir() + "/ssl",
                                              std::vector<std::string>{});
    const int port = proxy->port();
    BackgroundRun watch(rig.watch_args(port));
    REQUIRE_FALSE(watch.wait_for_line("\"event\":\"pass\"", 60).empty());
    CHECK(rig.target_once("INBOX", 1) == hashes_of({1}));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the listener is in IDLE by now

    proxy.reset();  // every connection through it drops, IDLE's too
    rig.deliver(2);
    std::this_thread::sleep_for(std::chrono::seconds(2));  // passes fail meanwhile: nothing listens there
    proxy = std::make_unique<FaultProxy>(rig.dovecot.imaps_port(), rig.dovecot.dir() + "/ssl",
                                         std::vector<std::string>{"--listen-port", std::to_string(port)});
    CHECK(rig.target_once("INBOX", 2) == hashes_of({1, 2}));
    rig.deliver(3);
    CHECK(rig.target_once("INBOX", 3) == hashes_of({1, 2, 3}));

    REQUIRE(::kill(watch.pid(), SIGTERM) == 0);
    auto ended = watch.finish();
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
    CHECK(ended.err.find("IDLE connection was lost") != std::string::npos);
    auto summary = summary_of(ended);
    CHECK(summary["appended"] == 3);
    CHECK(summary["failed_passes"].get<int>() >= 1);
}

TEST_CASE("watch carries mail through a target whose line drops during the replay, each message once",
          "[watch][faults]") {
    Rig rig;
    for (int n = 1; n <= 3; ++n) rig.deliver(n);
    // Every connection to the target is cut after 500 to 900 bytes from the
    // client: the login and one or two APPENDs, often in the middle of one.
    FaultProxy proxy(rig.dovecot.imaps_port(), rig.dovecot.dir() + "/ssl",
                     std::vector<std::string>{"--drop-after-bytes", "700", "--drop-jitter", "28", "--seed", "15"});
    rig.target_port = proxy.port();
    BackgroundRun watch(rig.watch_args(rig.dovecot.imaps_port()));
    REQUIRE_FALSE(watch.wait_for_line("\"event\":\"pass\"", 120).empty());
    CHECK(rig.target_once("INBOX", 3) == hashes_of({1, 2, 3}));
    for (int n = 4; n <= 8; ++n) rig.deliver(n);
    CHECK(rig.target_once("INBOX", 8) == hashes_of({1, 2, 3, 4, 5, 6, 7, 8}));

    REQUIRE(::kill(watch.pid(), SIGTERM) == 0);
    auto ended = watch.finish();
    INFO(ended.err);
    CHECK(ended.exit_code == 0);
    // Nothing twice, after the stop either.
    CHECK(rig.target_once("INBOX", 8) == hashes_of({1, 2, 3, 4, 5, 6, 7, 8}));
    size_t drops = 0;
    for (const auto& line : proxy.log_lines()) drops += line.find("kind=drop") != std::string::npos;
    CHECK(drops >= 2);  // the line did drop, more than once
}

TEST_CASE("watch killed with SIGKILL at random moments while mail arrives, then restarted, puts each message on "
          "the target exactly once", "[watch][crash]") {
    Rig rig;
    for (int n = 1; n <= 20; ++n) rig.deliver(n);
    std::mt19937 rng(15);  // a fixed seed: the same moments in every run of the test
    std::uniform_int_distribution<int> after_ms(100, 1500);
    int next = 21;
    for (int round = 0; round < 6; ++round) {
        BackgroundRun watch(rig.watch_args(rig.dovecot.imaps_port()));
        for (int i = 0; i < 3; ++i) rig.deliver(next++);  // arriving while it starts, fetches, replays
        std::this_thread::sleep_for(std::chrono::milliseconds(after_ms(rng)));
        ::kill(watch.pid(), SIGKILL);
        watch.finish();
    }
    // One more watch to the end: the final pass finishes what the killed ones left.
    auto last = run_mailferry(rig.watch_args(rig.dovecot.imaps_port(), {"--until", "+2s"}));
    INFO(last.err);
    CHECK(last.exit_code == 0);
    std::multiset<std::string> want;
    for (int n = 1; n < next; ++n) want.insert(mailferry::wrap::sha256_hex(message(n)));
    CHECK(rig.target_once("INBOX", want.size()) == want);
    CHECK(read_cache_messages(rig.cache).size() == want.size());
}
