// One reconnect-and-retry policy for the fetch and the replay engines
// (docs/architecture.md §7). A unit of work (one folder) runs on a connection;
// when the connection fails it is replaced, after a pause, until the work is
// done, an error ends the run, or too many attempts in a row make no progress.
// An attempt that got somewhere (messages stored or appended, a message that
// failed alone and was recorded) resets the count: a flaky line that moves a
// little each time is survived, a dead one is not.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "mailferry/result.hpp"

namespace mailferry::pipeline {

struct RetryPolicy {
    // Attempts in a row without progress before the work is given up: a
    // connection refused counts as one, a connection lost without progress too.
    int max_stalled = 3;
    // The pause after a failed attempt: first_delay, doubled per stalled
    // attempt up to 2^max_doublings times, plus up to half of it at random (so
    // that a fleet of connections does not come back at once), and never less
    // than what the server asked for (Exchange's "Suggested Backoff Time").
    std::chrono::milliseconds first_delay{500};
    int max_doublings = 6;
    // How the pause is taken; tests of the engines replace it.
    std::function<void(std::chrono::milliseconds)> sleep;

    // Errors that no new connection can help: wrong credentials, a refused
    // certificate, the cache's own disk, a full target, a bug.
    static bool ends_run(const Error& e);
    static RetryPolicy with_max_stalled(int n) {
        RetryPolicy p;
        p.max_stalled = n;
        return p;
    }
    std::chrono::milliseconds delay(const Error& e, int stalled, std::mt19937& rng) const;
    void pause(const Error& e, int stalled, std::mt19937& rng) const;
};

// How one attempt at a unit of work ended.
struct AttemptResult {
    Status status;
    bool progressed = false;  // something durable came of it
};

// How the unit of work ended, after as many attempts as it took.
enum class RetryEnd {
    done,           // the work was finished
    stopped,        // someone else stopped the run meanwhile
    ends_run,       // an error no connection can help: `error`
    folder_failed,  // an error of this folder (or message) only: `error`
    gave_up,        // max_stalled attempts in a row without progress: `error` is the last
};

struct RetryOutcome {
    RetryEnd end = RetryEnd::done;
    std::optional<Error> error;
    int stalled = 0;  // attempts in a row without progress at the end
    bool connecting = false;  // the last failure was opening a connection, not using one
};

// Runs attempt(connection) until it succeeds, opening a connection first when
// there is none (connection is kept for the next unit of work on success, and
// dropped after a failure: a failed connection is never trusted again).
// on_reconnect is called each time a failed connection is replaced.
template <class Connection>
RetryOutcome run_with_retries(const RetryPolicy& policy, std::unique_ptr<Connection>& connection,
                              const std::function<Result<std::unique_ptr<Connection>>()>& open,
                              const std::function<AttemptResult(Connection&)>& attempt,
                              const std::function<bool()>& stopped, const std::function<void()>& on_reconnect,
                              std::mt19937& rng) {
    int stalled = 0;
    for (;;) {
        if (stopped()) return {RetryEnd::stopped, std::nullopt, stalled};
        if (!connection) {
            auto opened = open();
            if (!opened) {
                if (RetryPolicy::ends_run(opened.error())) return {RetryEnd::ends_run, opened.error(), stalled, true};
                if (++stalled > policy.max_stalled) return {RetryEnd::gave_up, opened.error(), stalled, true};
                policy.pause(opened.error(), stalled, rng);
                continue;
            }
            connection = std::move(*opened);
        }
        AttemptResult r = attempt(*connection);
        if (r.status) return {RetryEnd::done, std::nullopt, stalled};
        const Error& e = r.status.error();
        if (RetryPolicy::ends_run(e)) return {RetryEnd::ends_run, e, stalled};
        if (e.radius == Radius::folder || (e.radius == Radius::message && !r.progressed))
            return {RetryEnd::folder_failed, e, stalled};
        stalled = r.progressed ? 0 : stalled + 1;
        if (stalled > policy.max_stalled) return {RetryEnd::gave_up, e, stalled};
        connection.reset();
        if (on_reconnect) on_reconnect();
        policy.pause(e, stalled, rng);
    }
}

// The first step of a run (listing the folders, making the plan) on the same
// policy: a connection lost there costs a new one, not the run. The error when
// no attempt succeeded.
template <class Connection>
Status first_step_with_retries(const RetryPolicy& policy, std::unique_ptr<Connection>& connection,
                               const std::function<Result<std::unique_ptr<Connection>>()>& open,
                               const std::function<Status(Connection&)>& step) {
    std::mt19937 rng(7);
    std::function<AttemptResult(Connection&)> attempt = [&](Connection& c) { return AttemptResult{step(c), false}; };
    RetryOutcome out = run_with_retries<Connection>(policy, connection, open, attempt, [] { return false; }, nullptr, rng);
    if (out.end == RetryEnd::done) return {};
    if (out.end == RetryEnd::gave_up)
        out.error->message += " (gave up after " + std::to_string(out.stalled) + " connections)";
    return *out.error;
}

}  // namespace mailferry::pipeline
