// The replay ledger (docs/architecture.md §6): one row per (message, target) saying
// where the message is on that target. A message is marked pending before its
// APPEND and done (with the APPENDUID) after it, so a re-run appends nothing
// twice and a crashed run knows which messages to look for on the target.
// One cache can be replayed to several targets, each with its own rows.
//
// Thread-safe through the Cache's lock.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache.hpp"

namespace mailferry::cache {

// Where a message stands with a target (docs/architecture.md §6). The index
// stores each as its name (ledger_state_name); a message without a row has
// not been tried.
enum class LedgerState { not_started, pending, done, failed, skipped };

// "pending", "done", "failed", "skipped"; "" for not_started.
const char* ledger_state_name(LedgerState state);
// The state an index row names; an unknown name reads as failed (sent again,
// which the ledger's look on the target makes safe).
LedgerState parse_ledger_state(std::string_view name);

struct LedgerItem {
    int64_t message_id = 0;  // messages.id
    std::string path;         // relative to the cache
    uint64_t size = 0;
    int64_t received = 0;
    std::string flags;        // IMAP form
    std::string header_message_id;
    LedgerState state = LedgerState::not_started;  // or pending, failed
    int attempts = 0;
    int64_t updated_at = 0;   // when the ledger row last changed
    std::string subject;      // for messages to people
    bool compressed = false;  // the file is gzip (cache/message_file.hpp reads it)
};

struct LedgerCounts {
    int64_t done = 0, pending = 0, skipped = 0, failed = 0, not_started = 0;
};

struct LedgerFailure {
    std::string folder, subject;
    LedgerState state = LedgerState::failed;  // failed, skipped or pending
    std::string text, target_folder;
    int64_t message_id = 0;
    int attempts = 0;
};

struct AppendedAt {
    int64_t message_id;
    uint32_t uidvalidity, uid;  // uid 0 when the server gave no APPENDUID
    std::string note;           // what was repaired in the bytes sent, "" if nothing
    // The flags the target is known to have kept (IMAP form), when not all of
    // the message's: Exchange drops \Flagged given with the APPEND, so the
    // flag drift (Ledger::flag_drift) then sets it, even after a crash.
    // nullopt: the message's flags as the cache has them.
    std::optional<std::string> sent_flags = std::nullopt;
};

// A message on the target whose flags changed in the cache since the target
// was given them (a fetch refreshed them from the source).
struct FlagDrift {
    int64_t message_id = 0;
    uint32_t target_uid = 0;
    std::string flags;       // IMAP form, as the cache has them now
    std::string sent_flags;  // as the target was given them
};

// A message the ledger says is on the target.
struct PlacedMessage {
    int64_t message_id = 0;
    std::string folder, subject;     // in the cache
    std::string header_message_id;   // the cached message's Message-ID
    uint64_t size = 0;               // of the cached bytes
    std::string target_folder;
    uint32_t target_uidvalidity = 0, target_uid = 0;  // uid 0: the server gave no APPENDUID
};

class Ledger {
public:
    static Result<Ledger> for_target(Cache& cache, const std::string& url, const std::string& profile);
    int64_t target_id() const { return target_id_; }

    // Messages of the folder not yet done or skipped, id > after_id, at most limit.
    Result<std::vector<LedgerItem>> to_replay(int64_t folder_id, int64_t after_id, int limit);
    Status mark_pending(const std::vector<int64_t>& message_ids, const std::string& target_folder);
    Status mark_done(const std::vector<AppendedAt>& done, const std::string& target_folder);
    // Refused by the server, or given up on: sent again by the next run.
    Status mark_failed(int64_t message_id, const std::string& text);
    // Can never go as it is (too big, lines too long): not sent again.
    Status mark_skipped(int64_t message_id, const std::string& text);
    Result<LedgerCounts> counts();
    Result<std::vector<LedgerFailure>> failures();
    // Every done row, by target folder then UID.
    Result<std::vector<PlacedMessage>> placed();
    // Whether the ledger holds rows for this target (a target never replayed has none).
    static Result<std::optional<Ledger>> existing(Cache& cache, const std::string& url);
    // For a dry run on a read-only cache: the target's ledger, or, for a
    // target never replayed, one with no rows (everything still to send).
    // Nothing is written.
    static Result<Ledger> for_target_read_only(Cache& cache, const std::string& url);
    // (UIDVALIDITY, UID) of the done rows of a target folder that have a UID:
    // the UIDs the ledger has given away, never claimed for another message.
    Result<std::vector<std::pair<uint32_t, uint32_t>>> done_uids(const std::string& target_folder);

    // Done rows of the target folder (under this UIDVALIDITY, with a UID)
    // whose flags changed since they were sent, by UID.
    Result<std::vector<FlagDrift>> flag_drift(const std::string& target_folder, uint32_t uidvalidity);
    // The target now has these rows' flags (each FlagDrift's flags).
    Status mark_flags_sent(const std::vector<FlagDrift>& carried);

    // --propagate-deletes. The target UIDs, in this folder under this
    // UIDVALIDITY, of messages sent there that the source has since deleted
    // (gone) and that are still on the target, by message id.
    Result<std::vector<std::pair<int64_t, uint32_t>>> deletions_due(const std::string& target_folder,
                                                                     uint32_t uidvalidity);
    Status mark_deleted(const std::vector<int64_t>& message_ids);

    // The target folders holding sent messages whose flags drifted or (with
    // deletions) which the source has deleted since: one pass over the
    // ledger, for a run that visits only the folders with work (watch).
    Result<std::set<std::string>> folders_with_sent_work(bool deletions);
    // Messages of the cache folder deleted at the source before they were
    // ever sent (no row, or a failed one) become skipped with this reason:
    // not sent at all. Returns how many.
    Result<uint64_t> skip_gone_unsent(int64_t folder_id, const std::string& target_folder,
                                      const std::string& reason);

private:
    Status mark_unsent(int64_t message_id, LedgerState state, const std::string& text);
    Ledger(Cache& cache, int64_t target_id) : cache_(&cache), target_id_(target_id) {}
    Cache* cache_;
    int64_t target_id_;
};

// Per target, for `status`.
struct TargetSummary {
    std::string url, profile;
    LedgerCounts counts;
};
Result<std::vector<TargetSummary>> target_summaries(Cache& cache);

}  // namespace mailferry::cache
