#include "pipeline/watch.hpp"
#include "pipeline/report_json.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace mailferry::pipeline {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// An incremental fetch, then (with a target) a replay of what is pending.
void run_pass(cache::Cache& cache, const SourceFactory& open_source, const TargetFactory& open_target,
              const WatchOptions& o, bool first_pass, WatchPass& pass) {
    const auto started = Clock::now();
    auto finish = [&] { pass.seconds = std::chrono::duration<double>(Clock::now() - started).count(); };
    auto fail = [&](const Error& e) {
        pass.error = e;
        finish();
    };
    FetchOptions fetch = o.fetch;
    fetch.recover = first_pass;  // a killed run's leftovers exist only before the first pass
    auto source = open_source();
    if (!source) return fail(source.error());
    FetchProgress fetch_progress;
    auto fetched = run_fetch(cache, std::move(*source), open_source, fetch, fetch_progress);
    if (!fetched) return fail(fetched.error());
    pass.fetch = std::move(*fetched);
    if (pass.fetch.fatal) return fail(*pass.fetch.fatal);
    if (o.replay && open_target) {
        auto target = open_target();
        if (!target) return fail(target.error());
        ReplayProgress replay_progress;
        auto replayed = run_replay(cache, std::move(*target), open_target, *o.replay, replay_progress);
        if (!replayed) return fail(replayed.error());
        pass.replay = std::move(*replayed);
        if (pass.replay->fatal) pass.error = pass.replay->fatal;
    }
    finish();
}

// Sleeps until the deadline or a request to stop; true when asked to stop.
bool sleep_or_stop(milliseconds wait, const WatchControl& control) {
    const auto deadline = Clock::now() + wait;
    for (;;) {
        if (control.stop_requested()) return true;
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd fd{control.wake_fd, POLLIN, 0};
        ::poll(&fd, control.wake_fd >= 0 ? 1 : 0, static_cast<int>(std::min<long long>(left, 60'000)));
    }
}

// The wait between passes: on the listener while it serves, else a sleep.
class Waiter {
public:
    Waiter(const ListenerFactory& listen, const WatchHooks& hooks, WatchReport& report)
        : listen_(listen), hooks_(hooks), report_(report) {}

    // "change", "poll" (the wait ran out) or "stop".
    std::string wait(milliseconds max_wait, const WatchControl& control) {
        if (control.stop_requested()) return "stop";
        open_listener();
        if (!listener_) return sleep_or_stop(max_wait, control) ? "stop" : "poll";
        auto woke = listener_->wait(max_wait, control.wake_fd);
        if (!woke) {
            // Whatever came while it was down is found by the pass that follows.
            event("the IDLE connection was lost (" + woke.error().describe() + "): a pass, then a new one");
            listener_.reset();
            ++report_.listener_reconnects;
            return control.stop_requested() ? "stop" : "change";
        }
        if (*woke == ChangeListener::Wake::woken || control.stop_requested()) return "stop";
        return *woke == ChangeListener::Wake::changed ? "change" : "poll";
    }

private:
    void open_listener() {
        if (listener_ || given_up_ || !listen_) return;
        auto opened = listen_();
        if (opened) {
            listener_ = std::move(*opened);
            report_.idle = true;
            return;
        }
        if (opened.error().kind == ErrorKind::usage) {  // no IDLE at all: poll from now on
            given_up_ = true;
            event(opened.error().message + ": polling");
        } else {
            event("cannot open the IDLE connection (" + opened.error().describe() + "): polling until it opens");
        }
    }
    void event(const std::string& what) {
        if (hooks_.on_event) hooks_.on_event(what);
    }

    const ListenerFactory& listen_;
    const WatchHooks& hooks_;
    WatchReport& report_;
    std::unique_ptr<ChangeListener> listener_;
    bool given_up_ = false;
};

void count(const WatchPass& pass, int64_t now, WatchReport& r) {
    ++r.passes;
    r.last_pass_at = now;
    if (pass.error) {
        ++r.failed_passes;
        r.last_error = pass.error->describe();
    }
    r.new_messages += pass.fetch.new_messages;
    r.flags_refreshed += pass.fetch.flags_refreshed;
    r.gone += pass.fetch.gone;
    if (pass.fetch.new_messages > 0) r.last_new_mail = now;
    if (pass.replay) r.appended += pass.replay->appended;
}

// How long to wait after a pass: the poll interval, a growing pause after
// failed passes, never past --until.
milliseconds next_wait(const WatchOptions& o, const WatchControl& control, const std::optional<Error>& failure,
                       int failed_in_row, std::mt19937& rng) {
    milliseconds wait = o.poll_interval;
    if (failure) wait = std::min(wait, o.retry.delay(*failure, failed_in_row - 1, rng));
    if (o.until) wait = std::min(wait, milliseconds(std::max<int64_t>(0, (*o.until - control.now()) * 1000)));
    return wait;
}

// Passes and waits until a stop, --until or an error that ends the run;
// record(false) after each pass.
void watch_loop(cache::Cache& cache, const SourceFactory& open_source, const TargetFactory& open_target,
                const WatchOptions& o, const WatchControl& control, const WatchHooks& hooks, Waiter& waiter,
                WatchReport& report, const std::function<void(bool)>& record) {
    std::mt19937 rng(std::random_device{}());
    int failed_in_row = 0;
    std::string woken_by = "start";
    for (;;) {
        WatchPass pass;
        pass.number = report.passes + 1;
        pass.final = o.until && control.now() >= *o.until;
        pass.woken_by = pass.final ? "until" : woken_by;
        run_pass(cache, open_source, open_target, o, pass.number == 1, pass);
        count(pass, control.now(), report);
        record(false);
        if (hooks.on_pass) hooks.on_pass(pass);
        failed_in_row = pass.error ? failed_in_row + 1 : 0;
        if (pass.error && RetryPolicy::ends_run(*pass.error)) {
            report.ended_by = "error";
            report.fatal = pass.error;
            return;
        }
        if (pass.final) {
            report.ended_by = "until";
            if (pass.error) report.fatal = pass.error;  // the final sync did not complete
            return;
        }
        woken_by = waiter.wait(next_wait(o, control, pass.error, failed_in_row, rng), control);
        if (woken_by == "stop") {
            report.ended_by = "signal";
            return;
        }
        if (pass.error && woken_by == "poll") woken_by = "retry";
    }
}

}  // namespace

WatchReport run_watch(cache::Cache& cache, const SourceFactory& open_source, const TargetFactory& open_target,
                      const ListenerFactory& listen, const WatchOptions& o, const WatchControl& control,
                      const WatchHooks& hooks) {
    WatchReport report;
    report.started_at = control.now();
    Waiter waiter(listen, hooks, report);
    auto run_id = cache.begin_run("watch", std::nullopt);
    auto record = [&](bool ended) {
        if (!run_id) return;
        nlohmann::json j = to_json(report);
        j["pid"] = static_cast<int64_t>(::getpid());
        const std::string text = json_text(j);
        (void)(ended ? cache.end_run(*run_id, !report.fatal, text) : cache.update_run(*run_id, text));
    };
    watch_loop(cache, open_source, open_target, o, control, hooks, waiter, report, record);
    record(true);
    return report;
}

}  // namespace mailferry::pipeline
