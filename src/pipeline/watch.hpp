// mailferry watch: fetch (and replay) again and again until the cutover
// (issue 15). A pass is an incremental fetch and, with a target, a replay of
// what is pending, both the very engines of fetch and replay, so every
// guarantee of theirs holds: a file durable before its row, each message on
// the target once through the ledger. Between passes the watch waits for the
// first of: the source reporting a change (a ChangeListener: IMAP IDLE on
// INBOX), the poll interval, --until, or a request to stop (SIGTERM, SIGINT).
//
// Stopping: a request to stop ends the watch after the pass in hand (no
// further pass); reaching --until runs one last pass over every folder (the
// final sync), then ends. A pass that fails for the network or the server is
// tried again after a growing pause (RetryPolicy); an error no new connection
// helps (a refused password, a full disk) ends the watch.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cache/cache.hpp"
#include "mailferry/change_listener.hpp"
#include "pipeline/fetch.hpp"
#include "pipeline/replay.hpp"
#include "pipeline/retry_policy.hpp"

namespace mailferry::pipeline {

using ListenerFactory = std::function<Result<std::unique_ptr<ChangeListener>>()>;

struct WatchOptions {
    FetchOptions fetch;
    std::optional<ReplayOptions> replay;  // with --to
    std::chrono::milliseconds poll_interval = std::chrono::minutes(10);
    std::optional<int64_t> until;  // epoch seconds
    // The pause after a failed pass, as fetch pauses after a lost connection
    // (never longer than the poll interval).
    RetryPolicy retry;
};

// How the watch waits and is told to stop: the process's StopSignal in the
// command, a pipe and a flag in tests.
struct WatchControl {
    std::function<bool()> stop_requested;
    int wake_fd = -1;                  // readable once a stop is requested
    std::function<int64_t()> now;      // epoch seconds
};

struct WatchPass {
    int number = 0;
    bool final = false;        // the pass after --until
    std::string woken_by;      // "start", "change", "poll", "retry", "until"
    FetchReport fetch;
    size_t folders_fetched = 0;  // the others' STATUS had not moved since they were last fetched
    std::optional<ReplayReport> replay;  // none when nothing came or changed and nothing was pending
    std::optional<Error> error;  // the pass could not run or ended early
    double seconds = 0;
};

struct WatchReport {
    int passes = 0, failed_passes = 0;
    uint64_t new_messages = 0, appended = 0, flags_refreshed = 0, gone = 0;
    uint64_t deleted_on_target = 0;  // --propagate-deletes
    uint64_t listener_reconnects = 0;
    bool idle = false;            // a ChangeListener served (else: polling only)
    std::string ended_by;         // "signal", "until", "error"
    std::optional<Error> fatal;   // what ended the watch, if an error did
    int64_t started_at = 0, last_pass_at = 0, last_new_mail = 0;  // epoch seconds, 0: not yet
    std::string last_error;       // of the last pass that failed, "" if none did
};

struct WatchHooks {
    std::function<void(const WatchPass&)> on_pass;
    std::function<void(const std::string&)> on_event;  // listener lost, falling back to polling...
};

// Runs until stopped, --until, or an error that ends the run. listen may be
// empty (POP3, files): the watch polls. The watch is a row of the runs table
// ('watch'), its summary rewritten after each pass (to_json of the report and
// the process id), so that `mailferry status` shows how it is doing.
WatchReport run_watch(cache::Cache& cache, const SourceFactory& open_source, const TargetFactory& open_target,
                      const ListenerFactory& listen, const WatchOptions& options, const WatchControl& control,
                      const WatchHooks& hooks);

}  // namespace mailferry::pipeline
