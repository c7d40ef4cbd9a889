// The fetch engine (pipeline/fetch.hpp) against an in-memory source
// (tests/common/memory_mail.hpp): clean runs, a connection lost or the run
// killed at every step, the reconnect policy, what changes between runs, and
// a message that fails alone. The cache is read back through its own API.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cache/cache.hpp"
#include "cache/message_file.hpp"
#include "core/ascii.hpp"
#include "engine_support.hpp"
#include "memory_mail.hpp"
#include "pipeline/fetch.hpp"
#include "temp_dir.hpp"
#include "wrap/sha256.hpp"

using namespace mailferry;
using namespace mailferry::test;
using mailferry::test::Fault;
using mailferry::test::MemoryMailbox;
using mailferry::test::ScratchDir;
using mailferry::test::Step;

namespace {

const pipeline::FolderReport& folder_report(const pipeline::FetchReport& r, const std::string& name) {
    auto it = std::find_if(r.folders.begin(), r.folders.end(), [&](const auto& f) { return f.name == name; });
    REQUIRE(it != r.folders.end());
    return *it;
}

// --- Comparing the cache with the source ---

// One message as a line that says everything compared: content, size, date, flags.
std::string fingerprint(std::string_view bytes, int64_t received, const Flags& flags) {
    return wrap::sha256_hex(bytes) + " " + std::to_string(bytes.size()) + " " + std::to_string(received) + " [" +
           flags.to_imap() + "]";
}

struct CachedFolder {
    std::string role;
    std::vector<std::string> present;  // fingerprints, sorted
    std::vector<cache::StoredMessage> rows;  // gone ones too
    size_t gone = 0;
};

std::map<std::string, CachedFolder> read_cache(const std::string& cache_dir) {
    auto cache = cache::Cache::open(cache_dir, cache::OpenMode::read_only);
    REQUIRE(cache.ok());
    auto folders = (*cache)->folders();
    REQUIRE(folders.ok());
    std::map<std::string, CachedFolder> out;
    for (const auto& f : *folders) {
        CachedFolder& into = out[f.info.name];
        into.role = f.info.role;
        REQUIRE((*cache)->for_each_stored(f.id, [&](const cache::StoredMessage& m) -> Status {
            into.rows.push_back(m);
            return {};
        }).ok());
        // Files are read after the walk: for_each_stored holds the index lock.
        for (const auto& m : into.rows) {
            if (m.gone) {
                ++into.gone;
                continue;
            }
            auto bytes = cache::read_message_file(**cache, m.path, m.compressed);
            REQUIRE(bytes.ok());
            into.present.push_back(fingerprint(*bytes, m.received, m.flags));
        }
        std::sort(into.present.begin(), into.present.end());
    }
    return out;
}

std::vector<std::string> source_fingerprints(const MemoryMailbox& mailbox, const std::string& folder) {
    std::vector<std::string> out;
    for (const auto& m : mailbox.messages(folder)) out.push_back(fingerprint(m.bytes, m.internaldate, m.flags));
    std::sort(out.begin(), out.end());
    return out;
}

// Every message of the source in the cache once, bytes, date and flags equal;
// nothing else present.
void check_cache_equals_source(const std::string& cache_dir, const MemoryMailbox& mailbox) {
    auto cached = read_cache(cache_dir);
    for (const auto& name : mailbox.folder_names()) {
        INFO("folder " << name);
        REQUIRE(cached.count(name) == 1);
        CHECK(cached[name].present == source_fingerprints(mailbox, name));
    }
}

size_t source_message_count(const MemoryMailbox& mailbox) {
    size_t n = 0;
    for (const auto& name : mailbox.folder_names()) n += mailbox.messages(name).size();
    return n;
}

// The messages each run hands over, by watching the "message" steps.
struct MessageWatch {
    std::vector<std::pair<std::string, uint32_t>> handed_over;
    void watch(MemoryMailbox& mailbox) {
        mailbox.set_fault_hook([this](const Step& s) {
            if (s.call == "message") handed_over.emplace_back(s.folder, s.uid);
            return Fault::none;
        });
    }
};

uint64_t steps_of_clean_run(int per_folder, const pipeline::FetchOptions& options) {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto mailbox = three_folders(per_folder);
    FetchRun run = fetch_once(dir / "cache", mailbox, options);
    REQUIRE_FALSE(run.stopped());
    REQUIRE(run.report.ok());
    return mailbox->steps();
}

// What a second run finds changed: new messages, changed flags, an expunged
// message, and Archive/2024 renumbered under a new UIDVALIDITY with one
// message fewer and one new (so that fetch_flags, re-matching and marking gone
// all have steps of their own).
void change_between_runs(MemoryMailbox& mailbox) {
    add_generated(mailbox, kInbox, 70);
    add_generated(mailbox, kInbox, 71);
    mailbox.set_flags(kInbox, 4, Flags::from_imap("\\Seen \\Flagged $Forwarded"));
    mailbox.set_flags(kSent, 1, Flags{});
    mailbox.expunge(kInbox, 2);
    mailbox.expunge(kArchive, 2);
    mailbox.change_uidvalidity(kArchive, 5000);
    add_generated(mailbox, kArchive, 72);
}

// Rows per folder, gone ones too: a message stored twice shows here even
// when the copy is marked gone.
std::map<std::string, size_t> rows_per_folder(const std::string& cache_dir) {
    std::map<std::string, size_t> rows;
    for (const auto& [name, folder] : read_cache(cache_dir)) rows[name] = folder.rows.size();
    return rows;
}

// The first connection, opened before the cache is touched: a failure there
// ends the run before anything began (the command reports it). From its LIST
// on, the retry policy takes over.
constexpr uint64_t kStepsBeforeFolders = 1;

}  // namespace

TEST_CASE("fetch engine: a clean fetch of three folders lands every message once", "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    const std::string cache_dir = dir / "cache";
    auto mailbox = three_folders(12);
    pipeline::FetchOptions options = quick_options();
    options.connections = 2;
    options.index_text = true;

    FetchRun first = fetch_once(cache_dir, mailbox, options);
    REQUIRE_FALSE(first.stopped());
    CHECK(first.report.ok());
    CHECK(first.report.new_messages == 36);
    CHECK(first.report.cached_messages == 36);
    CHECK(first.report.folders.size() == 3);
    CHECK(folder_report(first.report, kSent).role == "\\Sent");
    CHECK(folder_report(first.report, kArchive).new_messages == 12);
    check_cache_equals_source(cache_dir, *mailbox);
    auto cached = read_cache(cache_dir);
    CHECK(cached[kSent].role == "\\Sent");
    CHECK(cached[kInbox].gone == 0);

    SECTION("the odd messages are kept byte for byte") {
        auto inbox = mailbox->messages(kInbox);
        CHECK(inbox[0].bytes.find("\r\n") == std::string::npos);  // bare LF
        CHECK(inbox[1].bytes.find('\0') != std::string::npos);
        CHECK(test::message_id_of(inbox[2].bytes).empty());
        for (int i = 0; i < 3; ++i)
            CHECK(std::count(cached[kInbox].present.begin(), cached[kInbox].present.end(),
                             fingerprint(inbox[i].bytes, inbox[i].internaldate, inbox[i].flags)) == 1);
    }
    SECTION("a second run fetches nothing new") {
        MessageWatch watch;
        watch.watch(*mailbox);
        FetchRun second = fetch_once(cache_dir, mailbox, options);
        REQUIRE_FALSE(second.stopped());
        CHECK(second.report.ok());
        CHECK(second.report.new_messages == 0);
        CHECK(second.report.flags_refreshed == 0);
        CHECK(second.report.gone == 0);
        CHECK(second.report.cached_messages == 36);
        CHECK(watch.handed_over.empty());
        check_cache_equals_source(cache_dir, *mailbox);
    }
}

TEST_CASE("fetch engine: a connection lost at any step is survived", "[engine]") {
    const int per_folder = 6;
    const pipeline::FetchOptions options = quick_options();
    const uint64_t clean_steps = steps_of_clean_run(per_folder, options);
    REQUIRE(clean_steps > 3 * per_folder);  // every message is a step of its own

    for (uint64_t k = 1; k <= clean_steps; ++k) {
        INFO("connection lost at step " << k << " of " << clean_steps);
        ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
        const std::string cache_dir = dir / "cache";
        auto mailbox = three_folders(per_folder);
        mailbox->lose_connection_at(k);
        FetchRun run = fetch_once(cache_dir, mailbox, options);
        if (k <= kStepsBeforeFolders) {
            // Nothing began: the user is told, and runs again.
            REQUIRE(run.failed.has_value());
            CHECK(run.failed->kind == ErrorKind::temporary);
            mailbox->clear_faults();
            run = fetch_once(cache_dir, mailbox, options);
        } else {
            CHECK(mailbox->connections_opened() >= 2);  // the fault struck, a new connection took over
        }
        REQUIRE_FALSE(run.stopped());
        CHECK(run.report.ok());
        CHECK(run.report.cached_messages == source_message_count(*mailbox));
        check_cache_equals_source(cache_dir, *mailbox);
    }
}

TEST_CASE("fetch engine: a run killed at any step is finished by the next one", "[engine]") {
    const int per_folder = 6;
    const pipeline::FetchOptions options = quick_options();
    const uint64_t clean_steps = steps_of_clean_run(per_folder, options);

    for (uint64_t k = 1; k <= clean_steps; ++k) {
        INFO("killed at step " << k << " of " << clean_steps);
        ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
        const std::string cache_dir = dir / "cache";
        auto mailbox = three_folders(per_folder);
        mailbox->refuse_connections_from(k);
        FetchRun killed = fetch_once(cache_dir, mailbox, options);
        REQUIRE(killed.stopped());
        if (k > kStepsBeforeFolders) {
            // Killed at the LIST, nothing ran yet (the run is the error); later, the report says why it stopped.
            const Error& why = killed.failed ? *killed.failed : *killed.report.fatal;
            CHECK(why.kind == ErrorKind::auth);
        }

        mailbox->clear_faults();
        FetchRun next = fetch_once(cache_dir, mailbox, options);
        REQUIRE_FALSE(next.stopped());
        CHECK(next.report.ok());
        CHECK(next.report.cached_messages == source_message_count(*mailbox));
        check_cache_equals_source(cache_dir, *mailbox);
    }
}

TEST_CASE("fetch engine: a second run survives a fault at any step", "[engine]") {
    const int per_folder = 4;
    const pipeline::FetchOptions options = quick_options();
    // A cache after one clean run, and the source changed since.
    auto prepared = [&](const std::string& cache_dir) {
        auto mailbox = three_folders(per_folder);
        REQUIRE(fetch_once(cache_dir, mailbox, options).report.ok());
        change_between_runs(*mailbox);
        mailbox->reset_counters();
        return mailbox;
    };
    uint64_t clean_steps = 0;
    std::map<std::string, size_t> clean_rows;
    {
        ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
        auto mailbox = prepared(dir / "cache");
        FetchRun run = fetch_once(dir / "cache", mailbox, options);
        REQUIRE(run.report.ok());
        REQUIRE(run.report.rematched == per_folder - 1);
        clean_steps = mailbox->steps();
        clean_rows = rows_per_folder(dir / "cache");
    }

    for (uint64_t k = kStepsBeforeFolders + 1; k <= clean_steps; ++k) {
        for (bool killed : {false, true}) {
            INFO((killed ? "killed" : "connection lost") << " at step " << k << " of " << clean_steps);
            ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
            const std::string cache_dir = dir / "cache";
            auto mailbox = prepared(cache_dir);
            killed ? mailbox->refuse_connections_from(k) : mailbox->lose_connection_at(k);
            FetchRun run = fetch_once(cache_dir, mailbox, options);
            CHECK(run.stopped() == killed);
            if (killed) {
                mailbox->clear_faults();
                run = fetch_once(cache_dir, mailbox, options);
            }
            REQUIRE_FALSE(run.stopped());
            CHECK(run.report.ok());
            check_cache_equals_source(cache_dir, *mailbox);
            CHECK(rows_per_folder(cache_dir) == clean_rows);
        }
    }
}

TEST_CASE("fetch engine: faults with two connections at once", "[engine]") {
    // The steps of two connections interleave differently from run to run;
    // whatever step the fault hits, the outcome must be the same.
    const int per_folder = 5;
    pipeline::FetchOptions options = quick_options();
    options.connections = 2;
    const uint64_t clean_steps = steps_of_clean_run(per_folder, options);

    for (uint64_t k = kStepsBeforeFolders + 1; k <= clean_steps; ++k) {
        INFO("step " << k << " of about " << clean_steps);
        ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
        const std::string cache_dir = dir / "cache";
        auto mailbox = three_folders(per_folder);
        if (k % 2 == 0) {
            mailbox->lose_connection_at(k);
            FetchRun run = fetch_once(cache_dir, mailbox, options);
            REQUIRE_FALSE(run.stopped());
            CHECK(run.report.ok());
        } else {
            mailbox->refuse_connections_from(k);
            FetchRun killed = fetch_once(cache_dir, mailbox, options);
            // Steps past what this interleaving needed do not happen: then nothing was killed.
            if (mailbox->steps() >= k) CHECK(killed.stopped());
            mailbox->clear_faults();
            FetchRun next = fetch_once(cache_dir, mailbox, options);
            REQUIRE_FALSE(next.stopped());
            CHECK(next.report.ok());
        }
        check_cache_equals_source(cache_dir, *mailbox);
    }
}

TEST_CASE("fetch engine: connections that bring nothing make the run give up", "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    auto mailbox = std::make_shared<MemoryMailbox>();
    for (int n = 1; n <= 3; ++n) add_generated(*mailbox, kInbox, n);
    // Every connection is lost when it asks for messages, before any arrives.
    mailbox->set_fault_hook(
        [](const Step& s) { return s.call == "fetch_messages" ? Fault::lose_connection : Fault::none; });
    pipeline::FetchOptions options = quick_options();
    std::vector<std::chrono::milliseconds> pauses;
    options.retry.sleep = [&pauses](std::chrono::milliseconds d) { pauses.push_back(d); };

    SECTION("the default policy: four connections") {
        REQUIRE(options.retry.max_stalled == 3);
        FetchRun run = fetch_once(dir / "cache", mailbox, options);
        REQUIRE(run.report.fatal.has_value());
        CHECK(run.report.fatal->kind == ErrorKind::temporary);
        CHECK_THAT(run.report.fatal->describe(), Catch::Contains("gave up after 4 connections"));
        // The source names the folder already: the engine does not name it again.
        CHECK_THAT(run.report.fatal->describe(), !Catch::Contains("folder INBOX, folder INBOX"));
        CHECK(mailbox->connections_opened() == 4);
        // A pause before each new connection, each longer than the one before.
        REQUIRE(pauses.size() == 3);
        CHECK(pauses[0] < pauses[1]);
        CHECK(pauses[1] < pauses[2]);
        CHECK(read_cache(dir / "cache")[kInbox].rows.empty());
    }
    SECTION("max_stalled 1: two connections") {
        options.retry.max_stalled = 1;
        FetchRun run = fetch_once(dir / "cache", mailbox, options);
        REQUIRE(run.report.fatal.has_value());
        CHECK_THAT(run.report.fatal->describe(), Catch::Contains("gave up after 2 connections"));
        CHECK(mailbox->connections_opened() == 2);
    }
}

TEST_CASE("fetch engine: a connection lost every two messages still completes", "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    const std::string cache_dir = dir / "cache";
    auto mailbox = three_folders(7);
    mailbox->lose_connection_every(2);
    FetchRun run = fetch_once(cache_dir, mailbox);
    REQUIRE_FALSE(run.stopped());
    CHECK(run.report.ok());
    CHECK(run.report.new_messages == 21);
    // Each connection brought two messages: progress each time, never four stalled in a row.
    CHECK(mailbox->connections_opened() >= 21 / 2);
    check_cache_equals_source(cache_dir, *mailbox);
}

TEST_CASE("fetch engine: what changed on the source between runs", "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    const std::string cache_dir = dir / "cache";
    auto mailbox = three_folders(6);
    FetchRun first = fetch_once(cache_dir, mailbox);
    REQUIRE_FALSE(first.stopped());
    REQUIRE(first.report.ok());
    MessageWatch watch;
    watch.watch(*mailbox);

    SECTION("new messages are fetched alone") {
        const uint32_t a = mailbox->add_message(kInbox, generated_message(kInbox, 50, Oddity::none), generated_flags(50),
                                                generated_date(50));
        const uint32_t b = mailbox->add_message(kArchive, generated_message(kArchive, 51, Oddity::none),
                                                generated_flags(51), generated_date(51));
        FetchRun second = fetch_once(cache_dir, mailbox);
        REQUIRE_FALSE(second.stopped());
        CHECK(second.report.ok());
        CHECK(second.report.new_messages == 2);
        CHECK(folder_report(second.report, kInbox).new_messages == 1);
        CHECK(folder_report(second.report, kSent).new_messages == 0);
        using Handed = std::vector<std::pair<std::string, uint32_t>>;
        std::sort(watch.handed_over.begin(), watch.handed_over.end());
        CHECK(watch.handed_over == Handed{{kArchive, b}, {kInbox, a}});
        check_cache_equals_source(cache_dir, *mailbox);
    }
    SECTION("changed flags are refreshed") {
        Flags all_set = Flags::from_imap("\\Seen \\Answered \\Flagged $Forwarded");
        mailbox->set_flags(kSent, 2, all_set);
        mailbox->set_flags(kArchive, 5, Flags{});
        FetchRun second = fetch_once(cache_dir, mailbox);
        REQUIRE_FALSE(second.stopped());
        CHECK(second.report.ok());
        CHECK(second.report.flags_refreshed == 2);
        CHECK(second.report.new_messages == 0);
        CHECK(watch.handed_over.empty());
        check_cache_equals_source(cache_dir, *mailbox);
    }
    SECTION("expunged messages are counted as gone and stay cached") {
        mailbox->expunge(kInbox, 2);
        mailbox->expunge(kSent, 6);
        FetchRun second = fetch_once(cache_dir, mailbox);
        REQUIRE_FALSE(second.stopped());
        CHECK(second.report.ok());
        CHECK(second.report.gone == 2);
        auto cached = read_cache(cache_dir);
        CHECK(cached[kInbox].gone == 1);
        CHECK(cached[kSent].gone == 1);
        CHECK(cached[kInbox].rows.size() == 6);
        check_cache_equals_source(cache_dir, *mailbox);  // what is present, that is
    }
    SECTION("a changed UIDVALIDITY re-matches the cached messages by content") {
        const uint32_t old_validity = mailbox->folder(kArchive)->uidvalidity;
        mailbox->expunge(kArchive, 1);  // the server rebuilt its index: one fewer, renumbered
        mailbox->change_uidvalidity(kArchive, old_validity + 100);
        mailbox->add_message(kArchive, generated_message(kArchive, 60, Oddity::none), generated_flags(60),
                             generated_date(60));
        FetchRun second = fetch_once(cache_dir, mailbox);
        REQUIRE_FALSE(second.stopped());
        CHECK(second.report.ok());
        const auto& archive = folder_report(second.report, kArchive);
        CHECK(archive.uidvalidity_changed);
        CHECK(archive.rematched == 5);
        CHECK(archive.new_messages == 1);
        CHECK(archive.gone == 1);
        CHECK(second.report.rematched == 5);
        CHECK_FALSE(second.report.warnings.empty());
        auto cached = read_cache(cache_dir);
        CHECK(cached[kArchive].rows.size() == 7);  // 6 first fetched, one new: nothing stored twice
        for (const auto& row : cached[kArchive].rows)
            if (!row.gone) CHECK(row.uidvalidity == old_validity + 100);
        check_cache_equals_source(cache_dir, *mailbox);
    }
}

TEST_CASE("fetch engine: with modseqs only the flags changed since the last fetch are asked for, "
          "and a lost message brings back the full read",
          "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    const std::string cache_dir = dir / "cache";
    auto mailbox = three_folders(6);
    std::map<std::string, int> calls;  // "folder call" -> how often
    mailbox->set_fault_hook([&calls](const Step& s) {
        if (s.call == "fetch_flags" || s.call == "fetch_flag_changes") ++calls[s.folder + " " + std::string(s.call)];
        return Fault::none;
    });
    FetchRun first = fetch_once(cache_dir, mailbox);
    REQUIRE(first.report.ok());
    CHECK(folder_report(first.report, kInbox).flags_read.empty());  // nothing was cached yet
    CHECK(calls.empty());

    // Nothing changed: the flags are not even asked for.
    FetchRun quiet = fetch_once(cache_dir, mailbox);
    REQUIRE(quiet.report.ok());
    CHECK(folder_report(quiet.report, kInbox).flags_read == "unchanged");
    CHECK(calls.empty());

    // One flag changed, one message new: only the changed ones are read, and
    // the cache ends equal to the source.
    mailbox->set_flags(kInbox, 3, Flags::from_imap("\\Seen \\Flagged"));
    add_generated(*mailbox, kInbox, 80);
    FetchRun changed = fetch_once(cache_dir, mailbox);
    REQUIRE(changed.report.ok());
    CHECK(folder_report(changed.report, kInbox).flags_read == "changed");
    CHECK(folder_report(changed.report, kInbox).flags_refreshed == 1);
    CHECK(folder_report(changed.report, kSent).flags_read == "unchanged");
    CHECK(calls == std::map<std::string, int>{{kInbox + " fetch_flag_changes", 1}});
    check_cache_equals_source(cache_dir, *mailbox);

    // An expunge cannot be seen in changed flags: the counts differ, so every
    // message's flags are read and the missing one is marked gone.
    calls.clear();
    mailbox->expunge(kInbox, 2);
    mailbox->set_flags(kInbox, 4, Flags::from_imap("\\Answered"));
    FetchRun lost = fetch_once(cache_dir, mailbox);
    REQUIRE(lost.report.ok());
    CHECK(folder_report(lost.report, kInbox).flags_read == "all");
    CHECK(folder_report(lost.report, kInbox).gone == 1);
    CHECK(folder_report(lost.report, kInbox).flags_refreshed == 1);
    CHECK(calls == std::map<std::string, int>{{kInbox + " fetch_flags", 1}});
    check_cache_equals_source(cache_dir, *mailbox);

    // The gone message stays counted apart: the next change is read incrementally again.
    calls.clear();
    mailbox->set_flags(kInbox, 5, Flags{});
    FetchRun after = fetch_once(cache_dir, mailbox);
    REQUIRE(after.report.ok());
    CHECK(folder_report(after.report, kInbox).flags_read == "changed");
    CHECK(calls == std::map<std::string, int>{{kInbox + " fetch_flag_changes", 1}});
    check_cache_equals_source(cache_dir, *mailbox);

    // A new UIDVALIDITY forgets the modseq: the folder is read in full.
    calls.clear();
    mailbox->change_uidvalidity(kSent, 7000);
    FetchRun renumbered = fetch_once(cache_dir, mailbox);
    REQUIRE(renumbered.report.ok());
    CHECK(folder_report(renumbered.report, kSent).uidvalidity_changed);
    CHECK(calls.count(kSent + " fetch_flag_changes") == 0);
    check_cache_equals_source(cache_dir, *mailbox);
}

TEST_CASE("fetch engine: a message the source fails alone is reported, the others stored", "[engine]") {
    ScratchDir dir{"mf-engine-", ScratchDir::in_memory};
    const std::string cache_dir = dir / "cache";
    auto mailbox = std::make_shared<MemoryMailbox>();
    for (int n = 1; n <= 7; ++n) add_generated(*mailbox, kInbox, n);
    for (int n = 1; n <= 3; ++n) add_generated(*mailbox, kSent, 100 + n);

    SECTION("the source gives up on it (over the size limit)") {
        mailbox->fail_message(kInbox, 3, make_error(ErrorKind::too_big, Radius::message,
                                                    "the server announced 99999999 bytes, over the limit"));
        FetchRun run = fetch_once(cache_dir, mailbox);
        REQUIRE_FALSE(run.stopped());
        const auto& inbox = folder_report(run.report, kInbox);
        REQUIRE(inbox.message_errors.size() == 1);
        CHECK_THAT(inbox.message_errors[0], Catch::StartsWith("UID 3: ") && Catch::Contains("over the limit"));
        CHECK(inbox.error.empty());
        CHECK(inbox.new_messages == 6);
        CHECK(run.report.errors.size() == 1);
        CHECK(folder_report(run.report, kSent).new_messages == 3);
        CHECK(read_cache(cache_dir)[kInbox].present.size() == 6);

        // Asked for again on the next run.
        mailbox->heal_message(kInbox, 3);
        FetchRun next = fetch_once(cache_dir, mailbox);
        REQUIRE_FALSE(next.stopped());
        CHECK(next.report.ok());
        CHECK(next.report.new_messages == 1);
        check_cache_equals_source(cache_dir, *mailbox);
    }
    SECTION("the source leaves it out of the FETCH") {
        mailbox->withhold_message(kInbox, 6);
        FetchRun run = fetch_once(cache_dir, mailbox);
        REQUIRE_FALSE(run.stopped());
        const auto& inbox = folder_report(run.report, kInbox);
        CHECK_THAT(inbox.error, Catch::Contains("not returned by the source (first UID 6)"));
        CHECK(inbox.new_messages == 6);
        CHECK(read_cache(cache_dir)[kInbox].present.size() == 6);

        mailbox->heal_message(kInbox, 6);
        FetchRun next = fetch_once(cache_dir, mailbox);
        REQUIRE_FALSE(next.stopped());
        CHECK(next.report.ok());
        CHECK(next.report.new_messages == 1);
        check_cache_equals_source(cache_dir, *mailbox);
    }
    SECTION("the connection is lost twice in a row on it") {
        mailbox->set_fault_hook([](const Step& s) {
            return s.call == "message" && s.folder == kInbox && s.uid == 5 ? Fault::lose_connection : Fault::none;
        });
        FetchRun run = fetch_once(cache_dir, mailbox);
        REQUIRE_FALSE(run.stopped());
        const auto& inbox = folder_report(run.report, kInbox);
        REQUIRE(inbox.message_errors.size() == 1);
        CHECK_THAT(inbox.message_errors[0], Catch::StartsWith("UID 5: ") && Catch::Contains("twice in a row"));
        CHECK(inbox.new_messages == 6);
        CHECK(folder_report(run.report, kSent).new_messages == 3);
    }
}

// --- The in-memory mail itself ---

TEST_CASE("memory source: lists from a UID and passes the sink's error back", "[engine]") {
    auto mailbox = std::make_shared<MemoryMailbox>();
    for (int n = 1; n <= 5; ++n) add_generated(*mailbox, kArchive, n);
    mailbox->expunge(kArchive, 2);
    auto source = test::memory_source_factory(mailbox)();
    REQUIRE(source.ok());
    auto folders = (*source)->list_folders();
    REQUIRE(folders.ok());
    REQUIRE(folders->size() == 1);
    REQUIRE((*source)->open_folder(folders->front()).ok());

    auto refs = (*source)->list_messages(2);
    REQUIRE(refs.ok());
    REQUIRE(refs->size() == 3);
    CHECK(refs->front().uid == 3);

    std::vector<uint32_t> received;
    Status s = (*source)->fetch_messages({5, 4, 3, 2}, [&](const FetchedMessage& m) -> Status {
        received.push_back(m.uid);
        if (m.uid == 4) return make_error(ErrorKind::io, Radius::fatal, "disk full");
        return {};
    });
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == ErrorKind::io);
    CHECK(s.error().message == "disk full");
    CHECK(received == std::vector<uint32_t>{3, 4});
    // The reply was left half read: the connection is spent.
    auto after = (*source)->list_messages(1);
    REQUIRE_FALSE(after.ok());
    CHECK(after.error().kind == ErrorKind::temporary);
}

TEST_CASE("memory target: replies come back past the window, messages land at once", "[engine]") {
    auto mailbox = std::make_shared<MemoryMailbox>();
    mailbox->add_folder(kInbox);
    auto target = test::memory_target_factory(mailbox, 2)();
    REQUIRE(target.ok());
    auto opened = (*target)->open_folder(kInbox, false);
    REQUIRE(opened.ok());

    std::vector<AppendReply> replies;
    auto collect = [&replies](const AppendReply& r) { replies.push_back(r); };
    for (uint64_t token = 1; token <= 3; ++token) {
        OutgoingMessage m{token, "\\Seen $Label1", generated_date(static_cast<int>(token)),
                          generated_message(kInbox, static_cast<int>(token), Oddity::none)};
        REQUIRE((*target)->append(std::move(m), collect).ok());
        CHECK(mailbox->messages(kInbox).size() == token);
        CHECK(replies.size() == (token > 2 ? token - 2 : 0));
    }
    REQUIRE((*target)->finish_appends(collect).ok());
    REQUIRE(replies.size() == 3);
    for (uint32_t i = 0; i < 3; ++i) {
        CHECK(replies[i].token == i + 1);
        CHECK(replies[i].accepted);
        CHECK(replies[i].status == "OK");
        CHECK(replies[i].uidvalidity == opened->uidvalidity);
        CHECK(replies[i].uid == i + 1);
    }
    auto stored = mailbox->messages(kInbox);
    CHECK(stored[1].flags == Flags::from_imap("\\Seen $Label1"));
    CHECK(stored[1].internaldate == generated_date(2));
    CHECK(stored[1].bytes == generated_message(kInbox, 2, Oddity::none));
    CHECK(mailbox->appends_received() == 3);
}

TEST_CASE("memory target: a lost connection loses the replies owed, not the messages", "[engine]") {
    auto mailbox = std::make_shared<MemoryMailbox>();
    mailbox->add_folder(kInbox);
    auto open_target = test::memory_target_factory(mailbox, 10);
    auto target = open_target();
    REQUIRE(target.ok());
    REQUIRE((*target)->open_folder(kInbox, false).ok());
    std::vector<AppendReply> replies;
    auto collect = [&replies](const AppendReply& r) { replies.push_back(r); };
    for (int n = 1; n <= 2; ++n)
        REQUIRE((*target)->append({static_cast<uint64_t>(n), "", generated_date(n),
                                   generated_message(kInbox, n, n == 2 ? Oddity::no_message_id : Oddity::none)},
                                  collect)
                    .ok());

    SECTION("at finish_appends") {
        mailbox->lose_connection_at(mailbox->steps() + 1);
        Status s = (*target)->finish_appends(collect);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::temporary);
        CHECK(mailbox->messages(kInbox).size() == 2);
    }
    SECTION("at an append whose message lands") {
        mailbox->lose_connection_at(mailbox->steps() + 1, Fault::lose_reply);
        Status s = (*target)->append({3, "", generated_date(3), generated_message(kInbox, 3, Oddity::none)}, collect);
        REQUIRE_FALSE(s.ok());
        CHECK(mailbox->messages(kInbox).size() == 3);
    }
    SECTION("at an append that never arrives") {
        mailbox->lose_connection_at(mailbox->steps() + 1);
        Status s = (*target)->append({3, "", generated_date(3), generated_message(kInbox, 3, Oddity::none)}, collect);
        REQUIRE_FALSE(s.ok());
        CHECK(mailbox->messages(kInbox).size() == 2);
    }
    CHECK(replies.empty());
    CHECK_FALSE((*target)->finish_appends(collect).ok());  // the connection stays lost

    // On a new connection the caller finds what its messages became.
    mailbox->clear_faults();
    auto again = open_target();
    REQUIRE(again.ok());
    REQUIRE((*again)->open_folder(kInbox, true).ok());
    const std::string first = generated_message(kInbox, 1, Oddity::none);
    auto by_id = (*again)->find_messages(test::message_id_of(first), 0, 0);
    REQUIRE(by_id.ok());
    REQUIRE(by_id->size() == 1);
    CHECK(by_id->front().uid == 1);
    CHECK(by_id->front().size == first.size());
    CHECK(by_id->front().internaldate == generated_date(1));
    const std::string second = generated_message(kInbox, 2, Oddity::no_message_id);
    auto by_size = (*again)->find_messages("", second.size(), generated_date(2) + 86400);
    REQUIRE(by_size.ok());
    REQUIRE(by_size->size() == 1);
    CHECK(by_size->front().uid == 2);
    CHECK(by_size->front().message_id.empty());
}

TEST_CASE("memory target: the append hook chooses the server's reply", "[engine]") {
    auto mailbox = std::make_shared<MemoryMailbox>();
    mailbox->add_folder(kInbox);
    mailbox->set_append_hook([](const std::string&, const OutgoingMessage&, uint64_t number)
                                 -> std::optional<test::AppendVerdict> {
        if (number == 2) return test::AppendVerdict{"NO", "[THROTTLED] Suggested Backoff Time: 1 milliseconds"};
        if (number == 3) return test::AppendVerdict{"NO", "[OVERQUOTA] mailbox full"};
        return std::nullopt;
    });
    auto target = test::memory_target_factory(mailbox, 0)();
    REQUIRE(target.ok());
    REQUIRE((*target)->open_folder(kInbox, false).ok());
    std::vector<AppendReply> replies;
    auto collect = [&replies](const AppendReply& r) { replies.push_back(r); };
    for (int n = 1; n <= 4; ++n)
        REQUIRE((*target)->append({static_cast<uint64_t>(n), "", generated_date(n),
                                   generated_message(kInbox, n, Oddity::none)},
                                  collect)
                    .ok());
    REQUIRE(replies.size() == 4);  // window 0: each reply at once
    CHECK(replies[0].accepted);
    CHECK_FALSE(replies[1].accepted);
    CHECK(replies[1].status == "NO");
    CHECK(replies[1].text == "[THROTTLED] Suggested Backoff Time: 1 milliseconds");
    CHECK(replies[1].uid == 0);
    CHECK(replies[2].text == "[OVERQUOTA] mailbox full");
    CHECK(replies[3].accepted);
    CHECK(replies[3].uid == 2);
    CHECK(mailbox->messages(kInbox).size() == 2);
    CHECK(mailbox->appends_received() == 4);
}

TEST_CASE("memory target: folders, find_messages, describe_messages, store_flags", "[engine]") {
    auto mailbox = std::make_shared<MemoryMailbox>();
    mailbox->add_folder(kInbox);
    mailbox->add_folder(kSent, "\\Sent");
    add_generated(*mailbox, kSent, 1);
    add_generated(*mailbox, kSent, 2, Oddity::no_message_id);
    add_generated(*mailbox, kSent, 3);
    auto target = test::memory_target_factory(mailbox, 4)();
    REQUIRE(target.ok());

    auto missing = (*target)->open_folder(kArchive, false);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::not_found);
    REQUIRE((*target)->create_folder(kArchive).ok());
    REQUIRE((*target)->create_folder(kArchive).ok());  // existing is fine
    auto folders = (*target)->list_folders();
    REQUIRE(folders.ok());
    REQUIRE(folders->size() == 3);
    auto sent = std::find_if(folders->begin(), folders->end(), [](const auto& f) { return f.name == kSent; });
    REQUIRE(sent != folders->end());
    CHECK(sent->role == "\\Sent");
    CHECK(sent->delimiter == '/');
    REQUIRE((*target)->open_folder(kArchive, false).ok());

    REQUIRE((*target)->open_folder(kSent, true).ok());
    const std::string two = generated_message(kSent, 2, Oddity::no_message_id);
    SECTION("by Message-ID, ignoring case as IMAP SEARCH does") {
        std::string id = test::message_id_of(generated_message(kSent, 3, Oddity::none));
        id = ascii::upper(id);
        auto found = (*target)->find_messages(id, 0, 0);
        REQUIRE(found.ok());
        REQUIRE(found->size() == 1);
        CHECK(found->front().uid == 3);
    }
    SECTION("by size and a date within two days") {
        auto near = (*target)->find_messages("", two.size(), generated_date(2) - 2 * 86400);
        REQUIRE(near.ok());
        CHECK(near->size() == 1);
        auto far = (*target)->find_messages("", two.size(), generated_date(2) + 2 * 86400 + 1);
        REQUIRE(far.ok());
        CHECK(far->empty());
        auto other_size = (*target)->find_messages("", two.size() + 1, generated_date(2));
        REQUIRE(other_size.ok());
        CHECK(other_size->empty());
    }
    SECTION("describe and flag") {
        std::vector<TargetMessage> described;
        REQUIRE((*target)->describe_messages({1, 2, 9}, [&](const TargetMessage& m) { described.push_back(m); }).ok());
        REQUIRE(described.size() == 2);
        CHECK(described[0].message_id == test::message_id_of(generated_message(kSent, 1, Oddity::none)));
        CHECK(described[1].size == two.size());
        CHECK(described[1].message_id.empty());
        Flags flagged;
        flagged.flagged = true;
        REQUIRE((*target)->store_flags({2, 3}, flagged, true).ok());
        auto stored = mailbox->messages(kSent);
        CHECK(stored[0].flags == generated_flags(1));  // not asked for: unchanged
        CHECK(stored[1].flags.flagged);
        CHECK(stored[2].flags.flagged);
        Flags read_flagged = flagged;
        read_flagged.seen = true;
        REQUIRE((*target)->store_flags({3}, read_flagged, false).ok());
        stored = mailbox->messages(kSent);
        CHECK_FALSE(stored[2].flags.flagged);
        CHECK_FALSE(stored[2].flags.seen);
        CHECK(stored[2].flags.keywords == generated_flags(3).keywords);  // keywords untouched
    }
}
