// What the replay workers share (internal to src/pipeline/replay*.cpp): the
// pacing, the folder queue, the reports and the run's totals, all behind one mutex.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cache/ledger.hpp"
#include "pipeline/replay.hpp"

namespace mailferry::pipeline::detail {

using Clock = std::chrono::steady_clock;
constexpr int kPage = 500;

// --max-messages-per-second and --max-bytes-per-second, shared by all connections.
class RateLimiter {
public:
    RateLimiter(double messages, double bytes)
        : messages_(messages), bytes_(bytes), message_clock_(Clock::now()), byte_clock_(message_clock_) {}
    // Blocks until sending one more message of this size keeps within the caps.
    // Time spent idle (a throttle pause above all) earns no burst afterwards:
    // each cap is a clock that never lags behind now.
    void acquire(uint64_t size);

private:
    std::mutex mutex_;
    double messages_, bytes_;
    Clock::time_point message_clock_, byte_clock_;  // when the caps allow the next message
};

// Shared by the workers.
struct RunState {
    cache::Cache& cache;
    cache::Ledger& ledger;
    const TargetFactory& open_target;
    const ReplayOptions& options;
    const net::TargetProfile& profile;
    uint64_t size_limit;
    ReplayProgress& progress;
    RateLimiter limiter;
    std::mutex mutex;
    std::deque<size_t> queue;  // indexes into reports
    std::vector<ReplayFolderReport> reports;
    std::vector<int64_t> folder_ids;
    ReplayReport totals;
    std::optional<Error> fatal;
    // Sends of each message in this run, and the last temporary reply it got:
    // after profile.max_attempts it is recorded as failed and the run goes on.
    std::map<int64_t, int> attempts;
    std::map<int64_t, std::string> last_reply;
    // Messages refused or skipped in this run: a re-run tries the refused ones again, this run does not.
    std::set<int64_t> refused;

    void stop(Error e) {
        std::lock_guard<std::mutex> l(mutex);
        if (!fatal) fatal = std::move(e);
    }
    bool stopped() {
        std::lock_guard<std::mutex> l(mutex);
        return fatal.has_value() || (options.interrupted && options.interrupted());
    }
};

// "message 42 \"Subject\"": how reports name a message.
std::string describe_message(const cache::LedgerItem& item);
// Message-IDs are searched for only when they are plain ASCII (Exchange's SEARCH takes no other charset).
std::string ascii_only(const std::string& s);
// The flags a profile lets through; counts what it held back in counts.
// Flags as the index stores them ("\\Seen $Label"). A keyword that is no IMAP
// atom (in a cache written before keywords were checked) is dropped and counted
// as not sent: it must never reach an APPEND.
Flags stored_flags(const std::string& stored, ReplayReport& counts);
std::string flags_for(const Flags& f, const net::TargetProfile& p, bool keywords_ok, ReplayReport& counts);

}  // namespace mailferry::pipeline::detail
