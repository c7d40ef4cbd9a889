// The replay engine (pipeline/replay.hpp) against an in-memory target
// (tests/common/memory_mail.hpp), from a cache that the fetch engine filled
// from an in-memory source: a clean run and its re-run, a connection or a
// reply lost and the run killed at every step, replies lost in a window and
// found again by the ledger, throttling, a full mailbox, and a folder plan
// with merges and case collisions. What reaches the target is compared with
// the source: bytes as IMAP requires them (preflight's to_wire), received
// date and flags, each message once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/cache.hpp"
#include "cache/ledger.hpp"
#include "engine_support.hpp"
#include "memory_mail.hpp"
#include "net/target_profile.hpp"
#include "pipeline/preflight.hpp"
#include "pipeline/replay.hpp"
#include "temp_dir.hpp"
#include "wrap/sha256.hpp"

using namespace mailferry;
using namespace mailferry::test;

namespace {

const std::string kTargetKey = "tester@memory.test";

pipeline::ReplayOptions replay_options(const net::TargetProfile& profile = net::generic_profile()) {
    pipeline::ReplayOptions o;
    o.target_url = "memory://" + kTargetKey;
    o.target_key = kTargetKey;
    o.profile = &profile;
    o.connections = 1;  // one connection: the steps of a run come in one order
    o.retry.sleep = [](std::chrono::milliseconds) {};
    o.straggler_seconds = 0;  // nothing is still landing in memory
    return o;
}

struct ReplayRun {
    std::optional<Error> failed;  // no first connection, or run_replay itself failed
    pipeline::ReplayReport report;
    bool stopped() const { return failed.has_value() || report.fatal.has_value(); }
};

// One run as `mailferry replay` makes it: the first connection before the plan.
ReplayRun replay_once(const std::string& cache_dir, const std::shared_ptr<MemoryMailbox>& target,
                      const pipeline::ReplayOptions& options = replay_options(), size_t window = 4) {
    auto open_target = memory_target_factory(target, window);
    auto first = open_target();
    if (!first) return {first.error(), {}};
    auto cache = cache::Cache::open(cache_dir, cache::OpenMode::existing);
    REQUIRE(cache.ok());
    pipeline::ReplayProgress progress;
    auto report = pipeline::run_replay(**cache, std::move(*first), open_target, options, progress);
    if (!report) return {report.error(), {}};
    return {std::nullopt, std::move(*report)};
}

// A target as Office 365 or a fresh Dovecot has one: INBOX only (generic), or
// with its localised special-use folders (office365).
std::shared_ptr<MemoryMailbox> empty_target(bool exchange = false) {
    auto t = std::make_shared<MemoryMailbox>();
    t->add_folder("INBOX");
    if (exchange) {
        t->add_folder("Sent Items", "\\Sent");
        t->add_folder("Deleted Items", "\\Trash");
        t->add_folder("Junk Email", "\\Junk");
        t->set_keywords_allowed(false);
    }
    return t;
}

// A cache filled from `source` by the fetch engine, in dir/name.
std::string cache_of(const ScratchDir& dir, const std::shared_ptr<MemoryMailbox>& source,
                     const std::string& name = "cache") {
    const std::string cache_dir = dir / name;
    FetchRun run = fetch_once(cache_dir, source);
    REQUIRE_FALSE(run.stopped());
    REQUIRE(run.report.ok());
    return cache_dir;
}

// A fresh copy of a cache (the ledger lives in it: each run of a walk starts from none).
std::string copy_of(const std::string& cache_dir, const ScratchDir& dir, const std::string& name) {
    std::filesystem::copy(cache_dir, dir / name, std::filesystem::copy_options::recursive);
    return dir / name;
}

// What a message must look like on the target: its wire bytes, date, flags.
std::string fingerprint(std::string_view bytes, int64_t received, const std::string& flags) {
    return wrap::sha256_hex(bytes) + " " + std::to_string(bytes.size()) + " " + std::to_string(received) + " [" +
           flags + "]";
}

// The flags a profile lets through (keywords only where the target keeps them).
std::string expected_flags(const Flags& f, bool keywords) {
    Flags out = f;
    if (!keywords) out.keywords.clear();
    return out.to_imap();
}

std::vector<std::string> expected_on_target(const MemoryMailbox& source, const std::vector<std::string>& folders,
                                            bool keywords) {
    std::vector<std::string> out;
    for (const auto& folder : folders)
        for (const auto& m : source.messages(folder))
            out.push_back(fingerprint(pipeline::to_wire(m.bytes, false).bytes, m.internaldate,
                                      expected_flags(m.flags, keywords)));
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> on_target(const MemoryMailbox& target, const std::string& folder) {
    std::vector<std::string> out;
    for (const auto& m : target.messages(folder)) out.push_back(fingerprint(m.bytes, m.internaldate, m.flags.to_imap()));
    std::sort(out.begin(), out.end());
    return out;
}

// Every source folder's messages in the target folder of the same name, each
// once, and no other messages anywhere on the target.
void check_target_equals_source(const MemoryMailbox& target, const MemoryMailbox& source) {
    size_t total = 0;
    for (const auto& name : source.folder_names()) {
        INFO("folder " << name);
        CHECK(on_target(target, name) == expected_on_target(source, {name}, true));
        total += source.messages(name).size();
    }
    size_t landed = 0;
    for (const auto& name : target.folder_names()) landed += target.messages(name).size();
    CHECK(landed == total);
}

cache::LedgerCounts ledger_counts(const std::string& cache_dir) {
    auto cache = cache::Cache::open(cache_dir, cache::OpenMode::read_only);
    REQUIRE(cache.ok());
    auto ledger = cache::Ledger::for_target_read_only(**cache, kTargetKey);
    REQUIRE(ledger.ok());
    auto counts = ledger->counts();
    REQUIRE(counts.ok());
    return *counts;
}

// The steps a replay of a copy of the cache takes when nothing goes wrong.
uint64_t steps_of_clean_replay(const std::string& cache_dir, const ScratchDir& dir) {
    auto counting = empty_target();
    REQUIRE_FALSE(replay_once(copy_of(cache_dir, dir, "count"), counting).stopped());
    REQUIRE(counting->steps() > 20);
    return counting->steps();
}

}  // namespace

TEST_CASE("replay engine: a clean run puts every message on the target once, and a re-run sends nothing",
          "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto source = three_folders(6);
    const std::string cache_dir = cache_of(dir, source);
    auto target = empty_target();

    ReplayRun run = replay_once(cache_dir, target);
    REQUIRE_FALSE(run.stopped());
    CHECK(run.report.ok());
    CHECK(run.report.appended == 18);
    CHECK(run.report.line_endings_repaired > 0);  // the bare-LF message went out with CRLF, counted
    CHECK(run.report.nul_removed == 1);
    check_target_equals_source(*target, *source);
    CHECK(ledger_counts(cache_dir).done == 18);

    const uint64_t appends = target->appends_received();
    ReplayRun again = replay_once(cache_dir, target);
    REQUIRE_FALSE(again.stopped());
    CHECK(again.report.appended == 0);
    CHECK(target->appends_received() == appends);
    check_target_equals_source(*target, *source);
}

TEST_CASE("replay engine: flags changed at the source after the replay reach the target at the next run, "
          "a deletion never", "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto source = three_folders(6);
    const std::string cache_dir = cache_of(dir, source);
    auto target = empty_target();
    REQUIRE(replay_once(cache_dir, target).report.ok());

    // Read, flagged, answered, unread again, unflagged: what people do after a migration's first copy.
    auto flip = [&](const std::string& folder, size_t index, auto change) {
        auto m = source->messages(folder).at(index);
        Flags f = m.flags;
        change(f);
        source->set_flags(folder, m.uid, f);
    };
    flip(kInbox, 0, [](Flags& f) { f.seen = !f.seen; });
    flip(kInbox, 3, [](Flags& f) { f.flagged = !f.flagged, f.answered = !f.answered; });
    flip(kSent, 1, [](Flags& f) { f.seen = !f.seen; });
    flip(kArchive, 5, [](Flags& f) { f.flagged = !f.flagged; });
    FetchRun refresh = fetch_once(cache_dir, source);
    REQUIRE_FALSE(refresh.stopped());
    CHECK(refresh.report.flags_refreshed == 4);

    const uint64_t appends = target->appends_received();
    ReplayRun again = replay_once(cache_dir, target);
    REQUIRE_FALSE(again.stopped());
    CHECK(again.report.appended == 0);
    CHECK(target->appends_received() == appends);
    CHECK(again.report.flags_carried == 4);
    check_target_equals_source(*target, *source);
    CHECK(replay_once(cache_dir, target).report.flags_carried == 0);  // carried once

    // Deleted at the source: recorded in the cache, never carried.
    flip(kSent, 2, [](Flags& f) { f.deleted = true; });
    REQUIRE_FALSE(fetch_once(cache_dir, source).stopped());
    ReplayRun third = replay_once(cache_dir, target);
    CHECK(third.report.flags_carried == 0);
    for (const auto& m : target->messages(kSent)) CHECK_FALSE(m.flags.deleted);
}

TEST_CASE("replay engine: with propagate_deletes a message deleted at the source leaves the target once, "
          "and one never sent is not sent",
          "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto source = three_folders(6);
    const std::string cache_dir = cache_of(dir, source);
    auto target = empty_target();
    REQUIRE(replay_once(cache_dir, target).report.ok());

    // Deleted at the source after the replay: INBOX's second; fetched, then
    // deleted before any replay: a new one in Sent.
    const uint32_t sent_before = source->messages(kInbox).at(1).uid;
    add_generated(*source, kSent, 90);
    const uint32_t fresh = source->messages(kSent).back().uid;
    REQUIRE_FALSE(fetch_once(cache_dir, source).stopped());
    source->expunge(kInbox, sent_before);
    source->expunge(kSent, fresh);
    FetchRun refresh = fetch_once(cache_dir, source);
    REQUIRE_FALSE(refresh.stopped());
    CHECK(refresh.report.gone == 2);

    // By default (a copy of the cache, its ledger saying the first six of
    // each folder are sent) nothing is deleted, and the message fetched and
    // then deleted at the source is sent all the same.
    auto kept = empty_target();
    ReplayRun plain = replay_once(copy_of(cache_dir, dir, "default"), kept);
    CHECK(plain.report.deleted_on_target == 0);
    CHECK(plain.report.gone_not_sent == 0);
    CHECK(plain.report.appended == 1);
    CHECK(kept->messages(kSent).size() == 1);

    pipeline::ReplayOptions o = replay_options();
    o.propagate_deletes = true;
    const uint64_t appends = target->appends_received();
    ReplayRun propagated = replay_once(cache_dir, target, o);
    REQUIRE_FALSE(propagated.stopped());
    CHECK(propagated.report.ok());
    CHECK(propagated.report.deleted_on_target == 1);
    CHECK(propagated.report.gone_not_sent == 1);
    CHECK(propagated.report.appended == 0);
    CHECK(target->appends_received() == appends);
    check_target_equals_source(*target, *source);  // the target mirrors the source again

    // Once: a second run deletes and sends nothing, and the cache still holds both.
    ReplayRun again = replay_once(cache_dir, target, o);
    CHECK(again.report.deleted_on_target == 0);
    CHECK(again.report.gone_not_sent == 0);
    CHECK(again.report.appended == 0);
    check_target_equals_source(*target, *source);
    CHECK(ledger_counts(cache_dir).skipped == 1);
}

TEST_CASE("replay engine: a connection or a reply lost at any step is survived, each message once", "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto source = three_folders(5);
    const std::string cache_dir = cache_of(dir, source, "master");
    const uint64_t clean_steps = steps_of_clean_replay(cache_dir, dir);

    // Step 1 is the first connection, which the command opens before anything else.
    for (uint64_t k = 2; k <= clean_steps; ++k) {
        INFO("step " << k << " of " << clean_steps);
        auto target = empty_target();
        target->lose_connection_at(k, k % 2 ? Fault::lose_reply : Fault::lose_connection);
        ReplayRun run = replay_once(copy_of(cache_dir, dir, "walk" + std::to_string(k)), target);
        REQUIRE_FALSE(run.stopped());
        CHECK(run.report.ok());
        check_target_equals_source(*target, *source);
    }
}

TEST_CASE("replay engine: a run killed at any step is finished by the next one, each message once", "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto source = three_folders(5);
    const std::string cache_dir = cache_of(dir, source, "master");
    const uint64_t clean_steps = steps_of_clean_replay(cache_dir, dir);

    for (uint64_t k = 1; k <= clean_steps; ++k) {
        INFO("killed at step " << k << " of " << clean_steps);
        auto target = empty_target();
        const std::string cache = copy_of(cache_dir, dir, "kill" + std::to_string(k));
        target->refuse_connections_from(k);
        ReplayRun killed = replay_once(cache, target);
        CHECK(killed.stopped());
        target->clear_faults();
        ReplayRun next = replay_once(cache, target);
        REQUIRE_FALSE(next.stopped());
        CHECK(next.report.ok());
        check_target_equals_source(*target, *source);
        CHECK(ledger_counts(cache).done == 15);
        CHECK(ledger_counts(cache).pending == 0);
    }
}

TEST_CASE("replay engine: APPENDs whose replies were lost are found by the ledger, twins each their own",
          "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto source = std::make_shared<MemoryMailbox>();
    for (int n = 1; n <= 4; ++n) add_generated(*source, kInbox, n, n == 2 ? Oddity::no_message_id : Oddity::none);
    // Twins: the same bytes and date twice (mailing lists and Cc-to-self do it).
    source->add_message(kInbox, generated_message(kInbox, 9, Oddity::none), {}, generated_date(9));
    source->add_message(kInbox, generated_message(kInbox, 9, Oddity::none), {}, generated_date(9));
    const std::string cache_dir = cache_of(dir, source);

    auto target = empty_target();
    // The line drops at the APPEND after `landed` of them, once that one landed
    // too; the window of eight holds every reply back until then.
    auto drop_after = [&target](uint64_t landed) {
        auto fired = std::make_shared<bool>(false);
        target->set_fault_hook([fired, landed](const Step& s) {
            if (*fired || s.call != "append" || s.messages_before != landed) return Fault::none;
            *fired = true;
            return Fault::lose_reply;
        });
        return fired;
    };
    SECTION("all six landed, not one reply came back: all found, none sent again") {
        auto fired = drop_after(5);
        ReplayRun run = replay_once(cache_dir, target, replay_options(), /*window=*/8);
        REQUIRE(*fired);
        REQUIRE_FALSE(run.stopped());
        CHECK(run.report.ok());
        CHECK(run.report.resolved == 6);
        CHECK(run.report.appended == 0);
        CHECK(target->appends_received() == 6);
        CHECK(run.report.reconnects == 1);
    }
    SECTION("the first twin landed, the second was never sent: the second is not taken for the first") {
        auto fired = drop_after(4);
        ReplayRun run = replay_once(cache_dir, target, replay_options(), /*window=*/8);
        REQUIRE(*fired);
        REQUIRE_FALSE(run.stopped());
        CHECK(run.report.ok());
        CHECK(run.report.resolved == 5);
        CHECK(run.report.appended == 1);
        CHECK(target->appends_received() == 6);
    }
    check_target_equals_source(*target, *source);
    CHECK(ledger_counts(cache_dir).done == 6);
}

TEST_CASE("replay engine: throttling is waited out as the server asks, and a message refused for good is recorded",
          "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto source = three_folders(4);
    const std::string cache_dir = cache_of(dir, source);
    auto target = empty_target();
    pipeline::ReplayOptions options = replay_options();
    std::vector<std::chrono::milliseconds> pauses;
    options.retry.sleep = [&pauses](std::chrono::milliseconds d) { pauses.push_back(d); };
    const std::string throttled = "[THROTTLED] Suggested Backoff Time: 700 milliseconds";

    SECTION("three throttled replies: three pauses of at least what was asked, then everything lands") {
        target->set_append_hook([&](const std::string&, const OutgoingMessage&, uint64_t n) -> std::optional<AppendVerdict> {
            if (n >= 2 && n <= 4) return AppendVerdict{"NO", throttled};
            return std::nullopt;
        });
        ReplayRun run = replay_once(cache_dir, target, options);
        REQUIRE_FALSE(run.stopped());
        CHECK(run.report.ok());
        CHECK(run.report.throttled == 3);
        REQUIRE_FALSE(pauses.empty());
        for (auto p : pauses) CHECK(p >= std::chrono::milliseconds(700));
        check_target_equals_source(*target, *source);
    }
    SECTION("a message throttled every time fails after the profile's attempts, the others land") {
        const std::string stuck = generated_message(kSent, 102, Oddity::none);
        target->set_append_hook([&](const std::string&, const OutgoingMessage& m, uint64_t) -> std::optional<AppendVerdict> {
            if (m.bytes == pipeline::to_wire(stuck, false).bytes) return AppendVerdict{"NO", throttled};
            return std::nullopt;
        });
        ReplayRun run = replay_once(cache_dir, target, options);
        REQUIRE_FALSE(run.stopped());
        REQUIRE(run.report.failed.size() == 1);
        CHECK_THAT(run.report.failed[0].reason, Catch::Contains("gave up after 5 temporary refusals"));
        CHECK(ledger_counts(cache_dir).failed == 1);
        CHECK(target->messages(kSent).size() == 3);

        target->clear_faults();  // the next run sends it, and only it
        const uint64_t appends = target->appends_received();
        ReplayRun next = replay_once(cache_dir, target, options);
        CHECK(next.report.ok());
        CHECK(next.report.appended == 1);
        CHECK(target->appends_received() == appends + 1);
        check_target_equals_source(*target, *source);
    }
}

TEST_CASE("replay engine: a full mailbox stops the run at once, and the next run sends each message once",
          "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto source = three_folders(6);
    const std::string cache_dir = cache_of(dir, source);
    auto target = empty_target();
    target->set_append_hook([](const std::string&, const OutgoingMessage&, uint64_t n) -> std::optional<AppendVerdict> {
        if (n >= 3) return AppendVerdict{"NO", "[OVERQUOTA] Mailbox is full"};
        return std::nullopt;
    });
    ReplayRun run = replay_once(cache_dir, target);
    REQUIRE(run.report.fatal.has_value());
    CHECK(run.report.fatal->kind == ErrorKind::quota);
    // What was in the window when the first NO came back, and nothing after.
    CHECK(target->appends_received() <= 3 + 4);

    target->clear_faults();
    ReplayRun next = replay_once(cache_dir, target);
    REQUIRE_FALSE(next.stopped());
    CHECK(next.report.ok());
    check_target_equals_source(*target, *source);
}

TEST_CASE("replay engine: a folder plan with merges and case collisions puts each message where the plan says",
          "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto source = std::make_shared<MemoryMailbox>();
    source->add_folder("INBOX");
    source->add_folder("Trash", "\\Trash");
    source->add_folder("Deleted Messages");  // a well-known name for the same role
    source->add_folder("Reports");
    source->add_folder("reports");  // differs only in case: one folder for Exchange
    int n = 0;
    for (const std::string folder : {"INBOX", "Trash", "Deleted Messages", "Reports", "reports"})
        for (int i = 0; i < 3; ++i) add_generated(*source, folder, ++n);
    const std::string cache_dir = cache_of(dir, source);
    auto target = empty_target(/*exchange=*/true);
    pipeline::ReplayOptions options = replay_options(net::office365_profile());

    ReplayRun run = replay_once(cache_dir, target, options);
    REQUIRE_FALSE(run.stopped());
    CHECK(run.report.ok());
    std::map<std::string, std::string> planned;
    for (const auto& f : run.report.folders) planned[f.source] = f.target;
    CHECK(planned["Trash"] == "Deleted Items");
    CHECK(planned["Deleted Messages"] == "Deleted Items");
    CHECK(planned["Reports"] == "Reports");
    CHECK(planned["reports"] == "reports (2)");
    // Office 365 keeps no keywords, and \Flagged is stored after the APPEND.
    CHECK(on_target(*target, "Deleted Items") == expected_on_target(*source, {"Trash", "Deleted Messages"}, false));
    CHECK(on_target(*target, "Reports") == expected_on_target(*source, {"Reports"}, false));
    CHECK(on_target(*target, "reports (2)") == expected_on_target(*source, {"reports"}, false));
    CHECK(on_target(*target, "INBOX") == expected_on_target(*source, {"INBOX"}, false));
    CHECK(run.report.flagged_stored > 0);

    const uint64_t appends = target->appends_received();
    ReplayRun again = replay_once(cache_dir, target, options);
    CHECK(again.report.ok());
    CHECK(target->appends_received() == appends);
}
