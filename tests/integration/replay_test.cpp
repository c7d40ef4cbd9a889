// mailferry replay into an Exchange-shaped private Dovecot.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/filesystem.hpp>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/mutf7.hpp"
#include "pipeline/preflight.hpp"
#include "corpus_manifest.hpp"
#include "support.hpp"
#include "test_corpus.hpp"
#include "test_dovecot.hpp"
#include "wrap/sha256.hpp"
#include "test_files.hpp"

using namespace mailferry::test;
namespace fs = boost::filesystem;

namespace {

const std::string kPassword = "s3cret source pw";
const std::string kTargetPassword = "t4rget pw, different";

// A source account with the generated corpus' Maildir++ tree fetched into a cache, and an
// empty Exchange-shaped target ("Sent Items", "Deleted Items", "Junk Email").
struct ReplayRig {
    TestDovecot source{DovecotOptions{"dovecot", {"alice:" + kPassword}, true}};
    TestDovecot target{DovecotOptions{"exchange", {"bob:" + kTargetPassword}, true}};
    TempDir dir;
    std::string cache = dir / "cache";
    std::string source_pw = write_secret_file(dir / "spw", kPassword);
    std::string target_pw = write_secret_file(dir / "tpw", kTargetPassword);

    explicit ReplayRig(bool whole_corpus_maildir = true) {
        if (whole_corpus_maildir)
            source.load_maildir("alice", generated_maildirpp());
    }
    void fetch() {
        auto r = run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(source.imaps_port()),
                                "--password-file", source_pw, "--ca-file", source.ca_file(), "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    std::vector<std::string> replay_args(std::vector<std::string> extra = {}) const {
        std::vector<std::string> a = {"replay", cache, "--to", "imaps://bob@127.0.0.1:" + std::to_string(target.imaps_port()),
                                      "--password-file", target_pw, "--ca-file", target.ca_file(), "--profile",
                                      "office365", "--no-progress"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    RunResult replay(std::vector<std::string> extra = {}) const { return run_mailferry(replay_args(std::move(extra))); }
};

// One message as a target must hold it: "sha256 'flags' INTERNALDATE" (a
// string, so that a failed comparison shows which).
std::string entry(const std::string& sha, const std::string& flags, int64_t date) {
    return sha + " '" + flags + "' " + std::to_string(date);
}

// CHECKs got == want, naming what only one of them holds.
void check_same(const std::multiset<std::string>& got, const std::multiset<std::string>& want) {
    std::vector<std::string> only_got, only_want;
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(only_got));
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(only_want));
    std::string diff;
    for (const auto& e : only_got) diff += "\n  only on the target: " + e;
    for (const auto& e : only_want) diff += "\n  only expected:      " + e;
    INFO(got.size() << " on the target, " << want.size() << " expected" << diff);
    CHECK(only_got.empty());
    CHECK(only_want.empty());
}

// The flags office365 keeps: system flags (keywords and $MDNSent are not sent).
std::string system_flags_only(const std::string& imap_flags) {
    std::string out;
    std::istringstream in(imap_flags);
    std::string f;
    while (in >> f)
        if (!f.empty() && f[0] == '\\') out += (out.empty() ? "" : " ") + f;
    return out;
}

// Raw (modified UTF-7) source name -> target name: the special-use folders to
// Exchange's own, every other folder under its own name.
const std::map<std::string, std::string> kExpectedTarget = {
    {"INBOX", "INBOX"},
    {"Trash", "Deleted Items"},
    {"Junk", "Junk Email"},
    {"Sent", "Sent Items"},
    {"Drafts", "Drafts"},
    {"Lists/dev@example.org", "Lists/dev@example.org"},
    {"Archive/2016/commits", "Archive/2016/commits"},
    {"Listen/&AMQ-rger &- Co", "Listen/&AMQ-rger &- Co"},
    {"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"},
    {"&ZeVnLIqe-/&U9dP4Xux-", "&ZeVnLIqe-/&U9dP4Xux-"},
};

// "\"appended\": N" for every message of the generated Maildir++ tree.
std::string all_appended() {
    return "\"appended\": " + std::to_string(manifest_message_count(kMaildirppContainer));
}

size_t flagged_in(const std::string& cache) {
    size_t n = 0;
    for (const auto& row : read_cache_messages(cache)) n += row.flags.find("\\Flagged") != std::string::npos;
    return n;
}

// Every cached message exactly once in its mapped folder, with its system
// flags, its INTERNALDATE and its bytes (up to CRLF on the wire).
void require_target_matches_cache(const ReplayRig& rig) {
    auto server = read_account(rig.target.imaps_port(), "bob", kTargetPassword);
    std::map<std::string, std::multiset<std::string>> expected, got;
    for (const auto& row : read_cache_messages(rig.cache)) {
        auto it = kExpectedTarget.find(row.folder_raw_name);
        REQUIRE(it != kExpectedTarget.end());
        std::string wire = mailferry::pipeline::to_wire(slurp(rig.cache + "/" + row.path), false).bytes;
        expected[it->second].insert(entry(mailferry::wrap::sha256_hex(wire), system_flags_only(row.flags), row.received));
    }
    for (const auto& [name, folder] : server)
        for (const auto& m : folder.messages) got[name].insert(entry(m.sha256, m.flags, m.internaldate));
    for (const auto& [name, messages] : expected) {
        CAPTURE(name);
        check_same(got[name], messages);
    }
    size_t total_got = 0, total_expected = 0;
    for (const auto& [n, m] : got) total_got += m.size();
    for (const auto& [n, m] : expected) total_expected += m.size();
    CHECK(total_got == total_expected);
}

}  // namespace

TEST_CASE("replay puts every cached message once into its mapped Exchange folder", "[replay]") {
    ReplayRig rig;
    rig.fetch();

    auto dry = rig.replay({"--dry-run", "--json"});
    INFO(dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK(dry.out.find("\"target\": \"Deleted Items\"") != std::string::npos);
    CHECK(read_account(rig.target.imaps_port(), "bob", kTargetPassword)["INBOX"].messages.empty());

    auto r = rig.replay({"--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find(all_appended()) != std::string::npos);
    // office365 sets \Flagged with UID STORE after the APPEND.
    REQUIRE(flagged_in(rig.cache) > 0);
    CHECK(r.out.find("\"flagged_stored\": " + std::to_string(flagged_in(rig.cache))) != std::string::npos);
    require_target_matches_cache(rig);
    CHECK(r.out.find(kTargetPassword) == std::string::npos);
    CHECK(r.err.find(kTargetPassword) == std::string::npos);

    SECTION("a re-run appends nothing") {
        auto again = rig.replay({"--json"});
        REQUIRE(again.exit_code == 0);
        CHECK(again.out.find("\"appended\": 0") != std::string::npos);
        require_target_matches_cache(rig);
        auto status = run_mailferry({"status", rig.cache, "--json"});
        CHECK(status.out.find("\"done\": " + std::to_string(manifest_message_count(kMaildirppContainer))) !=
              std::string::npos);
    }
}

TEST_CASE("replay killed at 20 random moments still puts every message there exactly once", "[replay][crash]") {
    ReplayRig rig;
    rig.source.generate("alice", 1500, 3);
    rig.fetch();
    // Measure a whole run on a scratch target account to spread the kills over it.
    auto started = std::chrono::steady_clock::now();
    {
        TestDovecot scratch{DovecotOptions{"exchange", {"bob:" + kTargetPassword}, true}};
        auto args = rig.replay_args();
        args[3] = "imaps://bob@127.0.0.1:" + std::to_string(scratch.imaps_port());
        args[7] = scratch.ca_file();
        TempDir copy;
        REQUIRE(std::system(("cp -a '" + rig.cache + "' '" + copy.path + "/c'").c_str()) == 0);
        args[1] = copy.path + "/c";
        REQUIRE(run_mailferry(args).exit_code == 0);
    }
    auto full_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    std::mt19937 rng(4711);
    for (int i = 0; i < 20; ++i) {
        pid_t pid = spawn_mailferry(rig.replay_args());
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<long>(0, full_us)(rng)));
        ::kill(pid, SIGKILL);
        wait_for(pid);
    }
    auto last = rig.replay({"--json"});
    INFO(last.err);
    REQUIRE(last.exit_code == 0);
    // Exactly once: the target holds the cache's messages, no more, no fewer
    // (the corpus has identical messages on purpose: compared as multisets).
    std::multiset<std::string> expected, got;
    for (const auto& row : read_cache_messages(rig.cache)) {
        std::string wire = mailferry::pipeline::to_wire(slurp(rig.cache + "/" + row.path), false).bytes;
        expected.insert(entry(mailferry::wrap::sha256_hex(wire), system_flags_only(row.flags), row.received));
    }
    size_t total = 0;
    for (const auto& [name, folder] : read_account(rig.target.imaps_port(), "bob", kTargetPassword)) {
        for (const auto& m : folder.messages) got.insert(entry(m.sha256, m.flags, m.internaldate));
        total += folder.messages.size();
    }
    check_same(got, expected);
    CHECK(total == read_cache_messages(rig.cache).size());
}

TEST_CASE("replay through throttling and dropped connections completes, waits as asked, duplicates nothing",
          "[replay][faults]") {
    ReplayRig rig;
    rig.fetch();
    // Exchange's own lines (docs/office365.md): one APPEND in 25 throttled, then
    // BYE; and the line cut after 24 KB, about 20 of the tree's messages (every
    // throttle starts a new connection, so the cut must come sooner to be seen).
    // Twice the largest message fits, so each one gets through on a fresh line.
    uint64_t largest = 0;
    for (const auto& row : read_cache_messages(rig.cache)) largest = std::max(largest, row.size);
    REQUIRE(2 * largest < 24000);
    FaultProxy proxy(rig.target.imaps_port(), rig.target.dir() + "/ssl",
                     {"--drop-after-bytes", "24000", "--rule",
                      "APPEND:every=25:reply=BAD Request is throttled. Suggested Backoff Time: 2000 milliseconds"
                      ":bye=* BYE Connection closed. 14"});
    auto args = rig.replay_args({"--connections", "1", "--json"});
    args[3] = "imaps://bob@127.0.0.1:" + std::to_string(proxy.port());
    auto r = run_mailferry(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_target_matches_cache(rig);

    // Every reconnect after a throttle came at least 2000 ms after it.
    auto lines = proxy.log_lines();
    int throttles = 0, drops = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].find(" fault kind=drop") != std::string::npos) ++drops;
        if (lines[i].find(" inject ") == std::string::npos) continue;
        ++throttles;
        long injected = std::stol(lines[i]);
        for (size_t j = i + 1; j < lines.size(); ++j) {
            if (lines[j].find(" open ") == std::string::npos) continue;
            CAPTURE(lines[i], lines[j]);
            CHECK(std::stol(lines[j]) - injected >= 2000);
            break;
        }
    }
    CHECK(throttles >= 5);
    CHECK(drops >= 2);
    CHECK(r.out.find("\"throttled\": " + std::to_string(throttles)) != std::string::npos);
}

TEST_CASE("replay records what the server refuses, goes on, and retries only the failures next time",
          "[replay][faults]") {
    ReplayRig rig;
    rig.fetch();
    FaultProxy proxy(rig.target.imaps_port(), rig.target.dir() + "/ssl",
                     // A BAD drops the connection (the replies still in flight can no longer be
                     // trusted): it comes last, so that the NO rules fire on replies that are read.
                     {"--rule", "APPEND:every=150:reply=BAD Command Argument Error. 11",
                      "--rule", "APPEND:every=97:reply=NO Maximum size of appendable message has been exceeded",
                      "--rule", "APPEND:every=61:reply=NO Server Unavailable. 15"});
    auto args = rig.replay_args({"--json"});
    args[3] = "imaps://bob@127.0.0.1:" + std::to_string(proxy.port());
    auto r = run_mailferry(args);
    INFO(r.err);
    CHECK(r.exit_code == 1);  // finished, with refusals
    CHECK(r.err.find("failed: ") != std::string::npos);
    CHECK(r.err.find("BAD Command Argument Error. 11") != std::string::npos);
    CHECK(r.err.find("skipped: ") != std::string::npos);
    CHECK(r.err.find("Maximum size of appendable message") != std::string::npos);

    auto status = run_mailferry({"status", rig.cache, "--failures"});
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("failed: ") != std::string::npos);
    CHECK(status.out.find("skipped: ") != std::string::npos);

    size_t on_target = 0;
    for (const auto& [name, f] : read_account(rig.target.imaps_port(), "bob", kTargetPassword))
        on_target += f.messages.size();
    size_t cached = read_cache_messages(rig.cache).size();
    CHECK(on_target < cached);

    // Direct this time: the refused ones go, the ones "too big" stay skipped.
    auto again = rig.replay({"--json"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    size_t after = 0;
    for (const auto& [name, f] : read_account(rig.target.imaps_port(), "bob", kTargetPassword))
        after += f.messages.size();
    size_t skipped = 0;
    for (size_t pos = 0; (pos = r.err.find("skipped: ", pos)) != std::string::npos; ++pos) ++skipped;
    CHECK(skipped >= 1);
    CHECK(after == cached - skipped);
}

TEST_CASE("replay falls back to one synchronizing APPEND at a time without LITERAL+", "[replay]") {
    ReplayRig rig;
    rig.fetch();
    // The same server, advertising no LITERAL+ (Dovecot's imap_capability replaces the list).
    std::string conf = rig.target.dir() + "/dovecot.conf";
    std::string edit = "sed -i 's|^protocol imap {|protocol imap {\\n  imap_capability = IMAP4rev1 SASL-IR ID ENABLE "
                       "IDLE UIDPLUS SPECIAL-USE NAMESPACE|' '" + conf + "' && doveadm -c '" + conf + "' reload";
    REQUIRE(std::system(edit.c_str()) == 0);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto r = rig.replay({"--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find(all_appended()) != std::string::npos);
    require_target_matches_cache(rig);
}

TEST_CASE("manifest records, per message, its source identity, hash and where the replay put it", "[replay][manifest]") {
    ReplayRig rig;
    rig.fetch();
    auto before = run_mailferry({"manifest", rig.cache, "--format", "csv"});
    REQUIRE(before.exit_code == 0);
    const size_t messages = read_cache_messages(rig.cache).size();
    CHECK(static_cast<size_t>(std::count(before.out.begin(), before.out.end(), '\n')) == messages + 1);
    CHECK(before.out.rfind("message_id,source_kind,source_server,source_account,folder,", 0) == 0);

    {
        auto replayed = rig.replay();
        INFO(replayed.err);
        REQUIRE(replayed.exit_code == 0);
    }
    const std::string target = "imaps://bob@127.0.0.1:" + std::to_string(rig.target.imaps_port());
    auto after = run_mailferry({"manifest", rig.cache, "--format", "json", "--target", target});
    INFO(after.err);
    REQUIRE(after.exit_code == 0);
    auto rows = nlohmann::json::parse(after.out);
    REQUIRE(rows.size() == messages);
    std::map<std::string, std::string> sha_of_path;
    for (const auto& r : read_cache_messages(rig.cache)) sha_of_path[r.path] = r.sha256;
    std::set<std::pair<std::string, int64_t>> target_uids;
    for (const auto& r : rows) {
        CHECK(r["source_kind"] == "imap");
        CHECK(r["target"] == "bob@127.0.0.1");
        CHECK(r["state"] == "done");
        CHECK(r["sha256"] == sha_of_path[r["path"].get<std::string>()]);
        REQUIRE(r["target_uid"].is_number());
        target_uids.insert({r["target_folder"].get<std::string>(), r["target_uid"].get<int64_t>()});
    }
    CHECK(target_uids.size() == messages);  // no two messages claim one target message

    auto unknown = run_mailferry({"manifest", rig.cache, "--target", "imaps://carol@example.com"});
    CHECK(unknown.exit_code != 0);
    CHECK(unknown.err.find("never replayed to carol@example.com") != std::string::npos);
}

TEST_CASE("verify --target finds every replayed message on the target, and reports one that went missing",
          "[replay][verify]") {
    ReplayRig rig;
    rig.fetch();
    {
        auto replayed = rig.replay();
        INFO(replayed.err);
        REQUIRE(replayed.exit_code == 0);
    }
    auto check = [&] {
        return run_mailferry({"verify", rig.cache, "--target", "imaps://bob@127.0.0.1:" + std::to_string(rig.target.imaps_port()),
                              "--password-file", rig.target_pw, "--ca-file", rig.target.ca_file(), "--json"});
    };
    auto ok = check();
    INFO(ok.err);
    REQUIRE(ok.exit_code == 0);
    auto j = nlohmann::json::parse(ok.out);
    CHECK(j["checked"] == read_cache_messages(rig.cache).size());
    CHECK(j["present"] == j["checked"]);

    // Someone deletes two messages on the target after the migration.
    // (UID EXPUNGE: the corpus' INBOX has messages that were \Deleted already, and stay.)
    imap_command(rig.target.imaps_port(), "bob", kTargetPassword, "INBOX", "UID STORE 2,5 +FLAGS (\\Deleted)");
    imap_command(rig.target.imaps_port(), "bob", kTargetPassword, "INBOX", "UID EXPUNGE 2,5");
    auto gone = check();
    CHECK(gone.exit_code == 1);
    auto g = nlohmann::json::parse(gone.out);
    CHECK(g["counts"]["missing"] == 2);
    CHECK(g["present"].get<int>() == j["present"].get<int>() - 2);
    for (const auto& p : g["problems"]) CHECK(p["target_folder"] == "INBOX");
}

namespace {

// Per target folder (modified UTF-7, as the server names it): what the cache's
// ledger (mailferry manifest --target) says went there, done, as it went on the wire.
std::map<std::string, std::multiset<std::string>> placed_by_ledger(const ReplayRig& rig,
                                                                   const nlohmann::json& ledger) {
    std::map<std::string, CachedMessageRow> by_path;
    for (const auto& row : read_cache_messages(rig.cache)) by_path[row.path] = row;
    std::map<std::string, std::multiset<std::string>> out;
    for (const auto& m : ledger) {
        if (m["state"] != "done") continue;  // office365 skips what it must (lines over 10,000 bytes)
        const auto& row = by_path.at(m["path"].get<std::string>());
        std::string wire = mailferry::pipeline::to_wire(slurp(rig.cache + "/" + row.path), false).bytes;
        out[mailferry::mutf7_encode(m["target_folder"].get<std::string>())].insert(
            entry(mailferry::wrap::sha256_hex(wire), system_flags_only(row.flags), row.received));
    }
    return out;
}

}  // namespace

// Real mail: every mailbox of the dev corpus (mbox files and message folders as
// folders of their own) fetched and replayed; what the target then holds is
// what the cache holds, per target folder, byte for byte up to the wire's CRLF.
TEST_CASE("real mail: the whole dev corpus fetched and replayed: every message once, its bytes, flags and date",
          "[replay][corpus][real]") {
    MAILFERRY_REQUIRE_REAL_CORPUS(dev);
    ReplayRig rig(false);
    load_corpus(rig.source, dev, "alice", kPassword);
    rig.fetch();
    auto r = rig.replay({"--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string target = "imaps://bob@127.0.0.1:" + std::to_string(rig.target.imaps_port());
    auto ledger = run_mailferry({"manifest", rig.cache, "--format", "json", "--target", target});
    REQUIRE(ledger.exit_code == 0);
    const auto expected = placed_by_ledger(rig, nlohmann::json::parse(ledger.out));
    std::map<std::string, std::multiset<std::string>> got;
    for (const auto& [name, folder] : read_account(rig.target.imaps_port(), "bob", kTargetPassword))
        for (const auto& m : folder.messages) got[name].insert(entry(m.sha256, m.flags, m.internaldate));
    size_t done = 0, on_target = 0;
    for (const auto& [name, messages] : expected) {
        CAPTURE(name);
        check_same(got[name], messages);
        done += messages.size();
    }
    for (const auto& [name, messages] : got) on_target += messages.size();
    CHECK(done > 2000);
    CHECK(on_target == done);
    CHECK(done + nlohmann::json::parse(r.out)["skipped"].size() == read_cache_messages(rig.cache).size());
}
