// What a replay must not do once it has to stop, and what a dry run must not
// do at all (issue 13, item 12): a full target mailbox ends the sending at
// once, not after the page of up to 500 APPENDs in hand; --dry-run writes
// nothing to the cache and works while another run holds it.
#include <catch2/catch.hpp>

#include <fstream>

#include "support.hpp"
#include "test_dovecot.hpp"
#include "test_files.hpp"
#include "wrap/posix_file.hpp"

using namespace mailferry::test;

namespace {

const std::string kTargetPassword = "t4rget pw";
constexpr int kMessages = 700;  // more than one ledger page (500) in one folder

// kMessages small messages in one mbox, written by this test.
std::string many_messages_mbox() {
    std::string m;
    for (int i = 1; i <= kMessages; ++i) {
        const std::string n = std::to_string(i);
        m += "From sender@example.net Mon Jan  1 10:00:00 2024\n"
             "From: sender@example.net\nTo: rcpt@example.org\nSubject: message " + n +
             "\nMessage-ID: <stop-" + n + "@example.net>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\n"
             "body of message " + n + "\n\n";
    }
    return m;
}

struct Rig {
    TestDovecot target{DovecotOptions{"dovecot", {"bob:" + kTargetPassword}, false}};
    TempDir dir;
    std::string cache = dir / "cache";
    std::string target_pw = write_secret_file(dir / "tpw", kTargetPassword);

    Rig() {
        std::ofstream(dir / "many.mbox", std::ios::binary) << many_messages_mbox();
        auto r = run_mailferry({"import", cache, dir / "many.mbox", "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    std::vector<std::string> replay_args(int port, std::vector<std::string> extra = {}) const {
        std::vector<std::string> a = {"replay", cache, "--to", "imaps://bob@127.0.0.1:" + std::to_string(port),
                                      "--password-file", target_pw, "--ca-file", target.ca_file(),
                                      "--profile", "generic", "--no-progress"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    size_t on_target() const {
        size_t n = 0;
        for (const auto& [name, folder] : read_account(target.imaps_port(), "bob", kTargetPassword))
            n += folder.messages.size();
        return n;
    }
};

}  // namespace

TEST_CASE("a full target mailbox stops the replay's sending at once, and the next run sends each message once",
          "[replay][faults]") {
    Rig rig;
    // Every APPEND is answered "over quota" by the proxy, never reaching Dovecot.
    FaultProxy proxy(rig.target.imaps_port(), rig.target.dir() + "/ssl",
                     {"--rule", "APPEND:every=1:reply=NO [OVERQUOTA] Quota exceeded"});
    auto r = run_mailferry(rig.replay_args(proxy.port(), {"--connections", "1"}));
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("full") != std::string::npos);
    // What was already in flight when the first refusal came (the pipeline's
    // window, 128) may still go; the rest of the 500-message page may not.
    int appends_sent = 0;
    for (const auto& line : proxy.log_lines())
        if (line.find(" swallow ") != std::string::npos) ++appends_sent;
    CHECK(appends_sent >= 1);
    CHECK(appends_sent <= 129);
    CHECK(rig.on_target() == 0);

    // The mailbox has room again: every message arrives, once.
    auto again = run_mailferry(rig.replay_args(rig.target.imaps_port(), {"--json"}));
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK(rig.on_target() == static_cast<size_t>(kMessages));
}

TEST_CASE("replay --dry-run writes nothing to the cache, and runs while another mailferry holds it",
          "[replay]") {
    Rig rig;
    auto rows = [&](const std::string& table) { return cache_sql(rig.cache, "SELECT count(*) FROM " + table); };
    const int64_t runs = rows("runs");
    const std::string index_before = slurp(rig.cache + "/index.sqlite");
    {
        // As a fetch in progress would: the writer's lock is taken.
        auto held = mailferry::wrap::lock_exclusive(rig.cache + "/lock", /*wait=*/false);
        REQUIRE(held.ok());
        auto dry = run_mailferry(rig.replay_args(rig.target.imaps_port(), {"--dry-run", "--json"}));
        INFO(dry.err);
        CHECK(dry.exit_code == 0);
        CHECK(dry.out.find("\"to_send\": " + std::to_string(kMessages)) != std::string::npos);
        // A second writer is still refused, with a clear message.
        auto writer = run_mailferry(rig.replay_args(rig.target.imaps_port()));
        CHECK(writer.exit_code == 2);
        CHECK(writer.err.find("in use by another mailferry run") != std::string::npos);
    }
    CHECK(rows("targets") == 0);
    CHECK(rows("ledger") == 0);
    CHECK(rows("runs") == runs);
    CHECK(slurp(rig.cache + "/index.sqlite") == index_before);
    CHECK(rig.on_target() == 0);
}
