// The crash walk: a run killed at every step where a crash could lose or
// duplicate something (src/core/failpoint.hpp), at several passes
// of each, then run again to the end, must give exactly what an uninterrupted
// run gives: 0 lost, 0 duplicated, and `verify` clean. Fetch over IMAP (new
// mail and flag changes), fetch over POP3, import (mbox files, a Maildir++
// tree, message files), and replay. Each (point, pass) must really kill the
// run: a walk that never crashes would prove nothing.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <boost/filesystem.hpp>
#include <sstream>

#include "corpus_manifest.hpp"
#include "support.hpp"
#include "test_corpus.hpp"
#include "test_dovecot.hpp"

using namespace mailferry::test;
namespace fs = boost::filesystem;

namespace {

const std::string kPassword = "walk pw";
constexpr int kKilled = 128 + 9;  // SIGKILL

struct Step {
    std::string point;
    std::vector<int> passes;
};

size_t count_steps(const std::vector<Step>& walk) {
    size_t n = 0;
    for (const auto& s : walk) n += s.passes.size();
    return n;
}

std::vector<int> spread(int last, int count) {  // 1 ... last, evenly
    std::vector<int> out;
    for (int i = 0; i < count; ++i) out.push_back(1 + (last - 1) * i / std::max(1, count - 1));
    return out;
}

std::vector<int> all(int last) { return spread(last, last); }

// No index row without its file, no message file without its row, and verify says intact.
void require_consistent(const std::string& cache) {
    std::set<std::string> indexed;
    auto rows = read_cache_messages(cache);
    for (const auto& r : rows) indexed.insert(r.path);
    CHECK(indexed.size() == rows.size());
    CHECK(message_files(cache) == indexed);
    auto v = run_mailferry({"verify", cache});
    INFO(v.out);
    CHECK(v.exit_code == 0);
}

std::string step_name(const std::string& point, int pass) { return point + ":" + std::to_string(pass); }

// Messages the full-text index has not taken yet.
int64_t text_pending(const std::string& cache) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((cache + "/index.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM messages WHERE text_state = 0", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

// folder -> the SHA-256 multiset of its messages.
std::map<std::string, std::multiset<std::string>> shas_by_folder(const std::vector<CachedMessageRow>& rows) {
    std::map<std::string, std::multiset<std::string>> out;
    for (const auto& r : rows) out[r.folder_raw_name].insert(r.sha256);
    return out;
}

}  // namespace

TEST_CASE("crash walk: fetch over IMAP, killed at every step, ends with the cache of an uninterrupted run",
          "[crash][walk]") {
    TestDovecot server(DovecotOptions{"dovecot", {"alice:" + kPassword}, false});
    server.generate("alice", 300, 5);  // 10 folders: one batch each
    TempDir dir;
    const std::string pw = write_secret_file(dir / "pw", kPassword);
    auto fetch = [&](const std::string& cache, const std::string& failpoint) {
        std::map<std::string, std::string> env;
        if (!failpoint.empty()) env["MAILFERRY_FAILPOINT"] = failpoint;
        return run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(server.imaps_port()),
                              "--password-file", pw, "--ca-file", server.ca_file(), "--no-progress", "--connections", "1"},
                             env);
    };
    const std::string before_flags = dir / "before-flags", reference = dir / "reference";
    REQUIRE(fetch(before_flags, "").exit_code == 0);
    // Flag changes in three folders, for the flag-change steps.
    for (const char* folder : {"INBOX", "Sent", "Archive"})
        imap_command(server.imaps_port(), "alice", kPassword, folder, "UID STORE 1:4 +FLAGS (\\Flagged \\Answered)");
    fs::copy(before_flags, reference, fs::copy_options::recursive);
    REQUIRE(fetch(reference, "").exit_code == 0);
    const auto expected = read_cache_messages(reference);
    std::sort(const_cast<std::vector<CachedMessageRow>&>(expected).begin(),
              const_cast<std::vector<CachedMessageRow>&>(expected).end());

    const std::vector<Step> new_mail = {
        {"maildir.staged", spread(300, 5)},   {"maildir.renamed", spread(300, 5)},
        {"maildir.before_rename", all(10)},   {"maildir.committed", all(10)},
        {"index.before_commit", all(10)},     {"index.committed", all(10)},
    };
    const std::vector<Step> flag_changes = {{"flags.linked", all(3)}, {"flags.indexed", all(3)}};
    CHECK(count_steps(new_mail) + count_steps(flag_changes) == 56);
    int n = 0;
    for (const auto* walk : {&new_mail, &flag_changes}) {
        for (const auto& step : *walk) {
            for (int pass : step.passes) {
                CAPTURE(step_name(step.point, pass));
                const std::string cache = dir / ("walk-" + std::to_string(n++));
                if (walk == &flag_changes) fs::copy(before_flags, cache, fs::copy_options::recursive);
                REQUIRE(fetch(cache, step_name(step.point, pass)).exit_code == kKilled);
                auto after = fetch(cache, "");
                INFO(after.err);
                REQUIRE(after.exit_code == 0);
                auto got = read_cache_messages(cache);
                std::sort(got.begin(), got.end());
                CHECK(got == expected);
                require_consistent(cache);
                fs::remove_all(cache);
            }
        }
    }
}

TEST_CASE("crash walk: fetch over POP3, killed at every step, ends with the messages of an uninterrupted run",
          "[crash][walk][pop3]") {
    TestDovecot server(DovecotOptions{"dovecot", {"alice:" + kPassword}, false});
    server.load_mbox("alice", "INBOX", generated_corpus_dir() + "/mbox/list/list-month.mbox");
    TempDir dir;
    const std::string pw = write_secret_file(dir / "pw", kPassword);
    auto fetch = [&](const std::string& cache, const std::string& failpoint) {
        std::map<std::string, std::string> env;
        if (!failpoint.empty()) env["MAILFERRY_FAILPOINT"] = failpoint;
        return run_mailferry({"fetch", cache, "--from", "pop3s://alice@127.0.0.1:" + std::to_string(server.pop3s_port()),
                              "--password-file", pw, "--ca-file", server.ca_file(), "--no-progress"},
                             env);
    };
    // uid -> sha256: the received date of a message with neither Received: nor
    // Date: is the fetch time, which differs between runs; the rest must not.
    auto identity = [](const std::string& cache) {
        std::map<uint32_t, std::string> m;
        for (const auto& r : read_cache_messages(cache)) m[r.uid] = r.sha256;
        return m;
    };
    REQUIRE(fetch(dir / "reference", "").exit_code == 0);
    const auto expected = identity(dir / "reference");
    const int messages = static_cast<int>(expected.size());
    REQUIRE(messages == static_cast<int>(manifest_message_count("mbox/list/list-month.mbox")));
    const std::vector<Step> walk = {
        {"maildir.staged", spread(messages, 5)}, {"maildir.renamed", spread(messages, 5)}, {"maildir.before_rename", {1}},
        {"maildir.committed", {1}},         {"index.before_commit", {1}},      {"index.committed", {1}},
    };
    int n = 0;
    for (const auto& step : walk) {
        for (int pass : step.passes) {
            CAPTURE(step_name(step.point, pass));
            const std::string cache = dir / ("walk-" + std::to_string(n++));
            REQUIRE(fetch(cache, step_name(step.point, pass)).exit_code == kKilled);
            auto after = fetch(cache, "");
            INFO(after.err);
            REQUIRE(after.exit_code == 0);
            CHECK(identity(cache) == expected);
            require_consistent(cache);
        }
    }
    CHECK(n == 14);
}

TEST_CASE("crash walk: replay, killed at every step, puts every message on the target exactly once",
          "[crash][walk][replay]") {
    const std::vector<Step> walk = {
        {"replay.pending", all(10)},    {"replay.before_append", spread(300, 5)}, {"replay.appended", spread(300, 5)},
        {"replay.before_done", all(10)}, {"replay.done", all(10)},
    };
    const size_t steps = count_steps(walk);
    CHECK(steps == 40);
    // One target mailbox per step (a mailbox that has everything has nothing left to crash on).
    std::vector<std::string> users;
    for (size_t i = 0; i < steps; ++i) users.push_back("t" + std::to_string(i) + ":" + kPassword);
    TestDovecot source(DovecotOptions{"dovecot", {"alice:" + kPassword}, false});
    TestDovecot target(DovecotOptions{"exchange", users, false});
    source.generate("alice", 300, 5);
    TempDir dir;
    const std::string pw = write_secret_file(dir / "pw", kPassword), cache = dir / "cache";
    REQUIRE(run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(source.imaps_port()),
                           "--password-file", pw, "--ca-file", source.ca_file(), "--no-progress"})
                .exit_code == 0);
    std::multiset<std::string> cached;
    for (const auto& r : read_cache_messages(cache)) cached.insert(r.sha256);
    auto replay = [&](const std::string& user, const std::string& failpoint) {
        std::map<std::string, std::string> env;
        if (!failpoint.empty()) env["MAILFERRY_FAILPOINT"] = failpoint;
        return run_mailferry({"replay", cache, "--to", "imaps://" + user + "@127.0.0.1:" + std::to_string(target.imaps_port()),
                              "--password-file", pw, "--ca-file", target.ca_file(), "--profile", "generic",
                              "--connections", "1", "--no-progress"},
                             env);
    };
    size_t n = 0;
    for (const auto& step : walk) {
        for (int pass : step.passes) {
            const std::string user = "t" + std::to_string(n++);
            CAPTURE(step_name(step.point, pass), user);
            REQUIRE(replay(user, step_name(step.point, pass)).exit_code == kKilled);
            auto after = replay(user, "");
            INFO(after.err);
            REQUIRE(after.exit_code == 0);
            // Every message once: the generated messages carry no bare LF, so
            // the target holds the cached bytes.
            std::multiset<std::string> on_target;
            for (const auto& [name, folder] : read_account(target.imaps_port(), user, kPassword))
                for (const auto& m : folder.messages) on_target.insert(m.sha256);
            CHECK(on_target == cached);
            auto again = replay(user, "");
            CHECK(again.exit_code == 0);
        }
    }
    require_consistent(cache);
}

namespace {

// What the import walk reads: copies (a source must not change between runs)
// of three generated mbox files, the Maildir++ tree and a folder of message
// files, and what the manifest says they hold.
struct ImportInputs {
    std::vector<std::string> paths;
    size_t messages = 0;
    int folders = 0;    // every folder that gets UIDs, empty ones included
    int non_empty = 0;  // folders with mail: a batch each
};

ImportInputs copy_import_inputs(const std::string& dir) {
    const fs::path corpus = generated_corpus_dir();
    const char* const mboxes[] = {"mbox/list/list-month.mbox", "mbox/content-length/cl.mbox",
                                  "mbox/quirks/html-only.mbox"};
    ImportInputs in;
    for (const char* mbox : mboxes) {
        in.paths.push_back(dir + "/" + fs::path(mbox).filename().string());
        fs::copy_file(corpus / mbox, in.paths.back());
        in.messages += manifest_message_count(mbox);
    }
    for (const auto& [from, to] : {std::pair{"maildir/dovecot-maildirpp", "maildir"}, {"eml/charsets", "eml"}}) {
        in.paths.push_back(dir + "/" + to);
        fs::copy(corpus / from, in.paths.back(), fs::copy_options::recursive);
        in.messages += manifest_message_count(from);
    }
    // Each Maildir++ folder has a directory, empty ones too; a parent without one is no folder.
    const auto maildir = manifest_folders(kMaildirppContainer);
    in.folders = static_cast<int>(std::size(mboxes) + maildir.size() + 1);
    in.non_empty = static_cast<int>(std::size(mboxes)) + 1;
    for (const auto& [name, f] : maildir) in.non_empty += !f.at("messages").empty();
    return in;
}

}  // namespace

TEST_CASE("crash walk: import of mbox files, a Maildir++ tree and message files, killed at every step, "
          "ends with the cache of an uninterrupted run",
          "[crash][walk][import]") {
    TempDir dir;
    const ImportInputs in = copy_import_inputs(dir.path);
    const auto& paths = in.paths;
    auto import = [&](const std::string& cache, const std::string& failpoint) {
        std::map<std::string, std::string> env;
        if (!failpoint.empty()) env["MAILFERRY_FAILPOINT"] = failpoint;
        std::vector<std::string> args = {"import", cache};
        args.insert(args.end(), paths.begin(), paths.end());
        args.push_back("--no-progress");
        return run_mailferry(args, env);
    };
    auto reference = import(dir / "reference", "");
    INFO(reference.err);
    REQUIRE(reference.exit_code == 0);
    auto expected = read_cache_messages(dir / "reference");
    std::sort(expected.begin(), expected.end());
    // The mbox messages, every Maildir++ folder's and the message files: as the manifest lists them.
    REQUIRE(expected.size() == in.messages);
    REQUIRE(shas_by_folder(expected).size() == static_cast<size_t>(in.non_empty));
    REQUIRE(text_pending(dir / "reference") == 0);

    // Passes: a UID assignment per folder (empty ones included), a stage and a
    // rename per message, one batch per non-empty folder, one text batch.
    const int total = static_cast<int>(in.messages), non_empty = in.non_empty;
    const std::vector<Step> walk = {
        {"uids.assigned", spread(in.folders, 3)},    {"maildir.staged", spread(total, 3)},
        {"maildir.renamed", spread(total, 3)},       {"maildir.before_rename", spread(non_empty, 2)},
        {"maildir.committed", spread(non_empty, 2)}, {"index.before_commit", spread(non_empty, 2)},
        {"index.committed", spread(non_empty, 2)},   {"text.committed", {1}},
    };
    CHECK(count_steps(walk) == 18);
    int n = 0;
    for (const auto& step : walk) {
        for (int pass : step.passes) {
            CAPTURE(step_name(step.point, pass));
            const std::string cache = dir / ("walk-" + std::to_string(n++));
            REQUIRE(import(cache, step_name(step.point, pass)).exit_code == kKilled);
            auto after = import(cache, "");
            INFO(after.err);
            REQUIRE(after.exit_code == 0);
            auto got = read_cache_messages(cache);
            std::sort(got.begin(), got.end());
            CHECK(shas_by_folder(got) == shas_by_folder(expected));  // 0 lost, 0 duplicated, per folder
            CHECK(got == expected);  // and each with its UID, flags, date and file
            CHECK(text_pending(cache) == 0);
            require_consistent(cache);
            fs::remove_all(cache);
        }
    }
}
