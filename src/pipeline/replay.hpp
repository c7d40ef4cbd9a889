// Stage 2: the cache into a target IMAP server (docs/architecture.md §6).
//
// Plan the folders, then per target folder: create and subscribe it, resolve
// the messages a crashed run left pending (looked up by Message-ID, size and
// date), and APPEND the rest through a window of pipelined commands, each
// marked pending in the ledger before it is sent and done with its APPENDUID
// after. Throttling replies and lost connections pause, reconnect and resume
// the folder; a message the server refuses is recorded and the run goes on; a
// full mailbox or a refused login stops the run.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/cache.hpp"
#include "mailferry/mail_target.hpp"
#include "net/target_profile.hpp"
#include "pipeline/folder_plan.hpp"
#include "pipeline/retry_policy.hpp"

namespace mailferry::pipeline {

// Opens one more connection to the target (the replay runs several, and
// replaces the ones that fail).
using TargetFactory = std::function<Result<std::unique_ptr<MailTarget>>()>;

struct ReplayOptions {
    std::string target_url;  // for messages
    std::string target_key;  // the ledger's key: ServerUrl::mailbox_key()
    const net::TargetProfile* profile = nullptr;
    uint64_t max_message_size = 0;  // 0: the profile's
    std::vector<FolderMapLine> folder_map;
    std::string target_prefix;
    int connections = 0;            // 0: the profile's default
    // Asked between messages: once it says true, no further message is sent;
    // the replies of those in flight are awaited and recorded (a watch told
    // to stop). Empty: never.
    std::function<bool()> interrupted;
    bool dry_run = false;
    // A message the source deleted after it was fetched (gone in the cache) is
    // removed from the target if it was sent, and never sent if not. Off by
    // default: a migration never destroys mail unless asked.
    bool propagate_deletes = false;
    // Visit only the folders with something to do: messages to send, flags
    // to carry, deletions to make (a watch's pass); the others are not even
    // opened. Off: every planned folder is opened and checked.
    bool only_folders_with_work = false;
    bool disarm_receipts = false;
    bool repair_long_lines = false;
    double max_messages_per_second = 0;  // 0: no cap
    double max_bytes_per_second = 0;
    // Throttles and lost connections: a new connection after the pause, up to
    // five in a row without progress per folder.
    RetryPolicy retry = RetryPolicy::with_max_stalled(5);
    // A message left pending less than this long ago may still be landing on
    // the server (its client was killed a moment ago): the last look waits.
    int64_t straggler_seconds = 5;
};

struct ReplayProgress {
    std::atomic<uint64_t> messages_planned{0}, bytes_planned{0};
    std::atomic<uint64_t> messages_done{0}, bytes_done{0};
    std::atomic<uint64_t> folders_total{0}, folders_done{0};
};

struct ReplayFolderReport {
    std::string source, target, rule;
    std::vector<std::string> notes;
    uint64_t to_send = 0, bytes_to_send = 0;  // at the start (the dry run's figures)
    uint64_t appended = 0, bytes = 0, resolved = 0, skipped = 0, failed = 0;
    std::string error;
};

struct SkippedMessage {
    std::string folder, subject, reason;
};

struct ReplayReport {
    std::vector<ReplayFolderReport> folders;
    std::vector<SkippedMessage> skipped, failed;  // each with its reason or the server's text
    std::vector<SkippedMessage> repaired;         // dry run: each message whose bytes would change, and how
    std::map<std::string, uint64_t> warnings;     // pre-flight finding -> count
    uint64_t appended = 0, bytes = 0, resolved = 0;
    uint64_t line_endings_repaired = 0, nul_removed = 0, receipts_disarmed = 0, long_lines_repaired = 0;
    uint64_t keywords_not_sent = 0, mdnsent_not_sent = 0, flagged_stored = 0;
    uint64_t flags_carried = 0;  // flag changes at the source carried to messages already sent
    uint64_t deleted_on_target = 0, gone_not_sent = 0;  // --propagate-deletes
    uint64_t throttled = 0, reconnects = 0;
    double seconds = 0;
    bool dry_run = false;
    std::optional<Error> fatal;
    bool ok() const { return !fatal && failed.empty() && std::none_of(folders.begin(), folders.end(), [](auto& f) { return !f.error.empty(); }); }
};

Result<ReplayReport> run_replay(cache::Cache& cache, std::unique_ptr<MailTarget> first,
                                const TargetFactory& open_target, const ReplayOptions& options,
                                ReplayProgress& progress);

}  // namespace mailferry::pipeline
