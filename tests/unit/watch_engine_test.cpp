// The watch engine (pipeline/watch.hpp) over the in-memory source and target
// (tests/common/memory_mail.hpp) and a scripted ChangeListener: mail arriving
// between passes reaches cache and target once, a stop ends the watch after
// the pass in hand, --until brings one final pass, a pass that fails for the
// network is tried again while one that no connection helps ends the watch,
// and a lost or missing IDLE connection falls back to polling.
#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache/cache.hpp"
#include "engine_support.hpp"
#include "mailferry/change_listener.hpp"
#include "memory_mail.hpp"
#include "net/target_profile.hpp"
#include "pipeline/watch.hpp"
#include "temp_dir.hpp"

using namespace mailferry;
using namespace mailferry::test;

namespace {

// One step of the script: what happens while the watch waits, and how the wait ends.
using Wait = std::function<Result<ChangeListener::Wake>()>;

// A listener that plays a script, one entry per wait; the watch is asked to
// stop when the script runs out.
struct Script {
    std::deque<Wait> waits;
    bool stop = false;
    int64_t now = 1'800'000'000;
    int waits_seen = 0, listeners_opened = 0, passes_done = 0;
    std::vector<int> opened_after_passes;  // how many passes had ended when each listener opened
};

class ScriptedListener final : public ChangeListener {
public:
    explicit ScriptedListener(Script& s) : s_(s) {}
    Result<Wake> wait(std::chrono::milliseconds, int) override {
        ++s_.waits_seen;
        if (s_.waits.empty()) {
            s_.stop = true;
            return Wake::woken;
        }
        Wait next = std::move(s_.waits.front());
        s_.waits.pop_front();
        return next();
    }

private:
    Script& s_;
};

pipeline::WatchOptions watch_options(bool with_target) {
    pipeline::WatchOptions o;
    o.fetch = quick_options();
    o.retry.sleep = [](std::chrono::milliseconds) {};
    if (with_target) {
        pipeline::ReplayOptions r;
        r.target_url = "memory://tester@memory.test";
        r.target_key = "tester@memory.test";
        r.profile = &net::generic_profile();
        r.connections = 1;
        r.retry.sleep = [](std::chrono::milliseconds) {};
        r.straggler_seconds = 0;
        o.replay = r;
    }
    return o;
}

struct WatchRun {
    pipeline::WatchReport report;
    std::vector<pipeline::WatchPass> passes;
    std::vector<std::string> events;
};

WatchRun watch(const std::string& cache_dir, const std::shared_ptr<MemoryMailbox>& source,
               const std::shared_ptr<MemoryMailbox>& target, Script& script, const pipeline::WatchOptions& o,
               bool listener = true) {
    auto cache = cache::Cache::open(cache_dir, cache::OpenMode::create_if_missing);
    REQUIRE(cache.ok());
    pipeline::SourceFactory open_source = memory_source_factory(source);
    pipeline::TargetFactory open_target;
    if (target) open_target = memory_target_factory(target, 4);
    pipeline::ListenerFactory listen;
    if (listener)
        listen = [&script]() -> Result<std::unique_ptr<ChangeListener>> {
            ++script.listeners_opened;
            script.opened_after_passes.push_back(script.passes_done);
            return std::unique_ptr<ChangeListener>(new ScriptedListener(script));
        };
    pipeline::WatchControl control{[&script] { return script.stop; }, -1, [&script] { return script.now; }};
    WatchRun run;
    pipeline::WatchHooks hooks;
    hooks.on_pass = [&run, &script](const pipeline::WatchPass& p) {
        run.passes.push_back(p);
        ++script.passes_done;
    };
    hooks.on_event = [&run](const std::string& e) { run.events.push_back(e); };
    run.report = pipeline::run_watch(**cache, open_source, open_target, listen, o, control, hooks);
    return run;
}

Wait arrives(const std::shared_ptr<MemoryMailbox>& source, const std::string& folder, int n) {
    return [source, folder, n]() -> Result<ChangeListener::Wake> {
        add_generated(*source, folder, n);
        return ChangeListener::Wake::changed;
    };
}

Wait quiet() {
    return []() -> Result<ChangeListener::Wake> { return ChangeListener::Wake::timed_out; };
}

// Each message of the source's folder is on the target's same-named folder once (by bytes' size and date).
void check_each_once(const MemoryMailbox& source, const MemoryMailbox& target, const std::string& folder) {
    auto sent = source.messages(folder);
    auto got = target.messages(folder);
    CAPTURE(folder);
    REQUIRE(got.size() == sent.size());
    std::multiset<int64_t> want_dates, got_dates;
    for (const auto& m : sent) want_dates.insert(m.internaldate);
    for (const auto& m : got) got_dates.insert(m.internaldate);
    CHECK(got_dates == want_dates);
}

}  // namespace

TEST_CASE("watch engine: mail arriving between passes reaches cache and target once, and a stop ends the watch",
          "[engine][watch]") {
    ScratchDir dir{"mf-watch-", ScratchDir::in_memory};
    auto source = three_folders(4);
    auto target = std::make_shared<MemoryMailbox>();
    target->add_folder("INBOX");
    Script script;
    script.waits = {arrives(source, kInbox, 50), quiet(), arrives(source, kArchive, 250),
                    arrives(source, kInbox, 51)};
    // The target folders each pass's replay opened: only those with work.
    std::vector<int> opened_per_pass;
    target->set_fault_hook([&](const Step& st) {
        if (st.call == "open_folder") {
            opened_per_pass.resize(static_cast<size_t>(script.passes_done) + 1);
            ++opened_per_pass.back();
        }
        return Fault::none;
    });
    WatchRun run = watch(dir / "cache", source, target, script, watch_options(true));

    CHECK(run.report.ended_by == "signal");
    CHECK_FALSE(run.report.fatal);
    REQUIRE(run.passes.size() == 5);  // the first, then one per wait; the stop runs none
    // The first pass sends three folders; then INBOX alone, nothing (no
    // replay at all), Archive alone, INBOX alone.
    CHECK(opened_per_pass == std::vector<int>{3, 1, 0, 1, 1});
    CHECK(run.passes[0].woken_by == "start");
    CHECK(run.passes[1].woken_by == "change");
    CHECK(run.passes[2].woken_by == "poll");
    CHECK(run.passes[1].fetch.new_messages == 1);
    CHECK(run.passes[2].fetch.new_messages == 0);
    CHECK(run.report.new_messages == 12 + 3);
    CHECK(run.report.appended == 12 + 3);
    CHECK(run.report.idle);
    CHECK(script.listeners_opened == 1);  // one IDLE connection for the whole watch
    for (const auto& f : {kInbox, kSent, kArchive}) check_each_once(*source, *target, f);
    CHECK(target->appends_received() == 15);
}

TEST_CASE("watch engine: the pass after --until is the final one, then the watch ends", "[engine][watch]") {
    ScratchDir dir{"mf-watch-", ScratchDir::in_memory};
    auto source = three_folders(3);
    Script script;
    pipeline::WatchOptions o = watch_options(false);
    o.until = script.now + 600;
    script.waits = {quiet(), [&script, source]() -> Result<ChangeListener::Wake> {
                        script.now += 601;  // the deadline passes during this wait
                        add_generated(*source, kSent, 150);
                        return ChangeListener::Wake::timed_out;
                    }};
    WatchRun run = watch(dir / "cache", source, nullptr, script, o);
    CHECK(run.report.ended_by == "until");
    REQUIRE(run.passes.size() == 3);
    CHECK_FALSE(run.passes[1].final);
    CHECK(run.passes[2].final);
    CHECK(run.passes[2].woken_by == "until");
    CHECK(run.passes[2].fetch.new_messages == 1);  // the final sync takes what came last
    CHECK(script.waits_seen == 2);
}

TEST_CASE("watch engine: a pass lost to the network is tried again, a refused login ends the watch",
          "[engine][watch]") {
    ScratchDir dir{"mf-watch-", ScratchDir::in_memory};
    auto source = three_folders(3);
    Script script;
    script.waits = {[source]() -> Result<ChangeListener::Wake> {
                        // Every connection from now on is lost at its first call.
                        source->set_fault_hook([](const Step& s) {
                            return s.call == "list_folders" ? Fault::lose_connection : Fault::none;
                        });
                        add_generated(*source, kInbox, 60);
                        return ChangeListener::Wake::changed;
                    },
                    [source]() -> Result<ChangeListener::Wake> {
                        source->clear_faults();  // the server is back
                        return ChangeListener::Wake::timed_out;
                    },
                    [source]() -> Result<ChangeListener::Wake> {
                        source->set_fault_hook(
                            [](const Step& s) { return s.call == "connect" ? Fault::refuse_login : Fault::none; });
                        return ChangeListener::Wake::changed;
                    }};
    WatchRun run = watch(dir / "cache", source, nullptr, script, watch_options(false));
    REQUIRE(run.passes.size() == 4);
    CHECK_FALSE(run.passes[0].error);
    REQUIRE(run.passes[1].error);
    CHECK(run.passes[1].error->kind == ErrorKind::temporary);
    CHECK_FALSE(run.passes[2].error);
    CHECK(run.passes[2].woken_by == "retry");
    CHECK(run.passes[2].fetch.new_messages == 1);  // what the failed pass missed
    CHECK(run.report.ended_by == "error");
    REQUIRE(run.report.fatal);
    CHECK(run.report.fatal->kind == ErrorKind::auth);
    CHECK(run.report.failed_passes == 2);
}

TEST_CASE("watch engine: a lost IDLE connection brings a pass and a new one, and without a listener it polls",
          "[engine][watch]") {
    ScratchDir dir{"mf-watch-", ScratchDir::in_memory};
    auto source = three_folders(3);
    Script script;
    script.waits = {[source]() -> Result<ChangeListener::Wake> {
        add_generated(*source, kInbox, 70);  // arrives while the connection drops
        return make_error(ErrorKind::temporary, Radius::account, "connection lost");
    }};
    WatchRun run = watch(dir / "cache", source, nullptr, script, watch_options(false));
    REQUIRE(run.passes.size() == 2);
    CHECK(run.passes[1].woken_by == "change");
    CHECK(run.passes[1].fetch.new_messages == 1);
    CHECK(script.listeners_opened == 2);
    // Each listener is open before the pass it follows looks at the source:
    // what arrives between that look and the next IDLE is then reported.
    CHECK(script.opened_after_passes == std::vector<int>{0, 1});
    CHECK(run.report.listener_reconnects == 1);
    REQUIRE(run.events.size() == 1);
    CHECK(run.events[0].find("IDLE connection was lost") != std::string::npos);

    // No listener at all (POP3, files): the interval decides; a stop already
    // requested ends the wait at once.
    ScratchDir dir2{"mf-watch-", ScratchDir::in_memory};
    Script polled;
    polled.stop = false;
    pipeline::WatchOptions o = watch_options(false);
    o.poll_interval = std::chrono::milliseconds(1);
    int passes = 0;
    auto cache = cache::Cache::open(dir2 / "cache", cache::OpenMode::create_if_missing);
    REQUIRE(cache.ok());
    pipeline::WatchControl control{[&passes] { return passes >= 3; }, -1, [] { return int64_t{1'800'000'000}; }};
    pipeline::WatchHooks hooks;
    hooks.on_pass = [&passes](const pipeline::WatchPass&) { ++passes; };
    auto report = pipeline::run_watch(**cache, memory_source_factory(source), {}, {}, o, control, hooks);
    CHECK(passes == 3);
    CHECK(report.ended_by == "signal");
    CHECK_FALSE(report.idle);
}

TEST_CASE("watch engine: a pass asks each folder's STATUS and fetches only the folders that moved, "
          "and replays only when something came or changed", "[engine][watch]") {
    ScratchDir dir{"mf-watch-", ScratchDir::in_memory};
    auto source = three_folders(4);
    auto target = std::make_shared<MemoryMailbox>();
    target->add_folder("INBOX");
    Script script;
    script.waits = {quiet(),  // nothing moved: no folder fetched, no replay
                    [source]() -> Result<ChangeListener::Wake> {
                        auto m = source->messages(kArchive).at(1);
                        Flags f = m.flags;
                        f.seen = !f.seen;
                        source->set_flags(kArchive, m.uid, f);  // raises Archive's HIGHESTMODSEQ only
                        return ChangeListener::Wake::timed_out;
                    },
                    arrives(source, kSent, 160)};
    WatchRun run = watch(dir / "cache", source, target, script, watch_options(true));
    REQUIRE(run.passes.size() == 4);
    CHECK(run.passes[0].folders_fetched == 3);  // the first pass looks at everything
    CHECK(run.passes[0].replay);
    CHECK(run.passes[1].folders_fetched == 0);
    CHECK_FALSE(run.passes[1].replay);
    CHECK(run.passes[2].folders_fetched == 1);
    CHECK(run.passes[2].fetch.flags_refreshed == 1);
    REQUIRE(run.passes[2].replay);
    CHECK(run.passes[2].replay->flags_carried == 1);
    CHECK(run.passes[3].folders_fetched == 1);
    CHECK(run.passes[3].fetch.new_messages == 1);
    for (const auto& f : {kInbox, kSent, kArchive}) check_each_once(*source, *target, f);
}

TEST_CASE("watch engine: a stop during a pass ends it at the batch in hand, and the next watch takes the rest once",
          "[engine][watch]") {
    ScratchDir dir{"mf-watch-", ScratchDir::in_memory};
    auto source = three_folders(12);
    auto target = std::make_shared<MemoryMailbox>();
    target->add_folder("INBOX");
    Script script;
    // The stop comes while the fetch hands over its 6th message (batches of 4).
    source->set_fault_hook([&script](const Step& s) {
        if (s.call == "message" && s.messages_before == 5) script.stop = true;
        return Fault::none;
    });
    WatchRun first = watch(dir / "cache", source, target, script, watch_options(true));
    CHECK(first.report.ended_by == "signal");
    REQUIRE(first.passes.size() == 1);
    CHECK(first.passes[0].fetch.interrupted);
    CHECK(first.passes[0].fetch.new_messages == 8);  // the batch in hand is stored whole, no further one
    CHECK_FALSE(first.passes[0].replay);            // nothing sent after the stop
    CHECK(target->appends_received() == 0);

    source->clear_faults();
    Script again;  // no waits: it stops after its first pass
    WatchRun second = watch(dir / "cache", source, target, again, watch_options(true));
    CHECK(second.passes.at(0).fetch.new_messages == 36 - 8);
    for (const auto& f : {kInbox, kSent, kArchive}) check_each_once(*source, *target, f);
    CHECK(target->appends_received() == 36);
}
