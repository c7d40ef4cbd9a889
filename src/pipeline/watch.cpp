#include "pipeline/watch.hpp"
#include "pipeline/report_json.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <random>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace mailferry::pipeline {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

bool same_state(const FolderStatus& a, const FolderStatus& b) {
    return a.uidvalidity == b.uidvalidity && a.uidnext == b.uidnext && a.exists == b.exists &&
           a.highest_modseq == b.highest_modseq;
}

// Runs the passes, and keeps what one teaches the next: each folder's STATUS
// when it was last fetched without error, and whether the target still has
// something to receive.
class PassRunner {
public:
    PassRunner(cache::Cache& cache, const SourceFactory& open_source, const TargetFactory& open_target,
               const WatchOptions& o, std::function<bool()> stop_requested)
        : cache_(cache), open_source_(open_source), open_target_(open_target), o_(o),
          stop_requested_(std::move(stop_requested)) {}

    // An incremental fetch, then (with a target) a replay of what is pending.
    void run(WatchPass& pass) {
        const auto started = Clock::now();
        fetch(pass);
        if (!pass.error && !stop_requested_()) replay(pass);
        pass.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    }

private:
    // A pass woken by a change or the clock asks every folder's STATUS first
    // and fetches only those whose state moved (where the server has
    // CONDSTORE: without a HIGHESTMODSEQ a flag change shows nowhere but in a
    // FETCH FLAGS, so such a folder is always fetched). The first pass and
    // the final one fetch every folder.
    void fetch(WatchPass& pass) {
        FetchOptions options = o_.fetch;
        options.recover = pass.number == 1;  // a killed run's leftovers exist only before the first pass
        options.interrupted = stop_requested_;
        auto source = open_source_();
        if (!source) return void(pass.error = source.error());
        std::map<std::string, FolderStatus> observed = look(**source);
        const bool gate = pass.number > 1 && !pass.final;
        if (gate)
            options.folder_wanted = [&](const SourceFolder& f) {
                auto now = observed.find(f.name);
                auto then = fetched_at_.find(f.name);
                return now == observed.end() || now->second.highest_modseq == 0 || then == fetched_at_.end() ||
                       !same_state(then->second, now->second);
            };
        FetchProgress progress;
        auto fetched = run_fetch(cache_, std::move(*source), open_source_, options, progress);
        if (!fetched) return void(pass.error = fetched.error());
        pass.fetch = std::move(*fetched);
        pass.folders_fetched = pass.fetch.folders.size();
        if (pass.fetch.fatal) return void(pass.error = pass.fetch.fatal);
        for (const auto& f : pass.fetch.folders)
            if (auto it = observed.find(f.name); f.error.empty() && it != observed.end()) fetched_at_[f.name] = it->second;
    }

    // STATUS of each folder, by name; empty when the source cannot tell or
    // the LIST fails (the fetch then looks at everything, and says why).
    static std::map<std::string, FolderStatus> look(MailSource& source) {
        std::map<std::string, FolderStatus> out;
        auto listed = source.list_folders();
        if (!listed) return out;
        for (const auto& f : *listed) {
            if (!f.selectable) continue;
            auto st = source.peek_status(f);
            if (!st || !*st) return {};
            out[f.name] = **st;
        }
        return out;
    }

    // Only when something came or changed, or the last replay left work.
    void replay(WatchPass& pass) {
        if (!o_.replay || !open_target_) return;
        const FetchReport& f = pass.fetch;
        const bool deletions = f.gone > 0 && o_.replay->propagate_deletes;
        if (!replay_due_ && f.new_messages == 0 && f.flags_refreshed == 0 && f.rematched == 0 && !deletions) return;
        auto target = open_target_();
        if (!target) return void(pass.error = target.error());
        ReplayProgress progress;
        ReplayOptions options = *o_.replay;
        options.interrupted = stop_requested_;
        options.only_folders_with_work = true;
        auto replayed = run_replay(cache_, std::move(*target), open_target_, options, progress);
        if (!replayed) return void(pass.error = replayed.error());
        pass.replay = std::move(*replayed);
        if (pass.replay->fatal) pass.error = pass.replay->fatal;
        replay_due_ = !pass.replay->ok();
    }

    cache::Cache& cache_;
    const SourceFactory& open_source_;
    const TargetFactory& open_target_;
    const WatchOptions& o_;
    std::function<bool()> stop_requested_;  // a stop ends the pass at the message in hand
    std::map<std::string, FolderStatus> fetched_at_;
    bool replay_due_ = true;
};

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

    // Opens the listener, if none serves, before the pass that it follows:
    // a message that arrives after the pass looked at INBOX and before the
    // listener selected it would otherwise be reported by neither, and wait
    // for the poll interval. Opened first, the listener's session has it
    // pending and its next IDLE reports it at once.
    void arm() { open_listener(); }

    // "change", "poll" (the wait ran out) or "stop". Every wait follows a
    // pass, and so an arm(): one that could not open the listener then is
    // not tried again here (the source just failed; the next pass tries).
    std::string wait(milliseconds max_wait, const WatchControl& control) {
        if (control.stop_requested()) return "stop";
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
    if (pass.replay) {
        r.appended += pass.replay->appended;
        r.deleted_on_target += pass.replay->deleted_on_target;
    }
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
void watch_loop(PassRunner& passes, const WatchOptions& o, const WatchControl& control, const WatchHooks& hooks,
                Waiter& waiter, WatchReport& report, const std::function<void(bool)>& record) {
    std::mt19937 rng(std::random_device{}());
    int failed_in_row = 0;
    std::string woken_by = "start";
    for (;;) {
        WatchPass pass;
        pass.number = report.passes + 1;
        pass.final = o.until && control.now() >= *o.until;
        pass.woken_by = pass.final ? "until" : woken_by;
        if (!pass.final) waiter.arm();
        passes.run(pass);
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
    PassRunner passes(cache, open_source, open_target, o, control.stop_requested);
    watch_loop(passes, o, control, hooks, waiter, report, record);
    record(true);
    return report;
}

}  // namespace mailferry::pipeline
