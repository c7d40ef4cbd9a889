#include "pipeline/fetch.hpp"
#include "core/failpoint.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "cache/recovery.hpp"
#include "cache/text_index.hpp"
#include "formats/maildir/maildir_naming.hpp"
#include "formats/maildir/maildir_writer.hpp"
#include "core/clock.hpp"
#include "pipeline/folder_filter.hpp"
#include "pipeline/report_json.hpp"
#include "pipeline/retry_policy.hpp"
#include "wrap/sha256.hpp"

namespace mailferry::pipeline {
namespace {

const std::string kMailPrefix = "mail/";

// What the attempts at one folder share (a message that fails alone spoils
// its connection, so the folder starts again on a new one).
struct FolderMemo {
    std::set<uint32_t> skip;                  // failed alone in this run: not asked for again
    std::vector<std::string> message_errors;  // "UID n: why"
    uint32_t lost_uid = 0;  // being received when the connection was last lost
    bool restart = false;   // a message failed and took the connection with it
    FolderReport carried;   // what attempts that ended early did
};

// The message an error is about: "UID n" in its context, as the sources name it.
std::optional<uint32_t> uid_named(const Error& e) {
    for (size_t at = e.context.find("UID "); at != std::string::npos; at = e.context.find("UID ", at + 1)) {
        if (at > 0 && e.context[at - 1] != ' ') continue;
        size_t end = e.context.find_first_not_of("0123456789", at + 4);
        std::string digits = e.context.substr(at + 4, end == std::string::npos ? end : end - at - 4);
        if (digits.empty() || digits.size() > 10) continue;
        uint64_t v = std::stoull(digits);
        if (v != 0 && v <= UINT32_MAX) return static_cast<uint32_t>(v);
    }
    return std::nullopt;
}

// Room left in a file name below the folder's directory: mailferry's own
// message file names ("<date>.U<v>_<uid>.mailferry,S=<size>:2,<flags>").
constexpr size_t kLongestFileName = 128;

// Fetches one folder over one source connection. Owns its MaildirWriter.
class FolderFetcher {
public:
    FolderFetcher(cache::Cache& cache, MailSource& source, const FetchOptions& options,
                  FetchProgress& progress, const cache::FolderRecord& folder, FolderMemo& memo, size_t name_max)
        : cache_(cache), source_(source), options_(options), progress_(progress),
          folder_(folder), memo_(memo), name_max_(name_max), writer_(cache.mail_root()) {
        report_.name = folder.info.name;
        report_.role = folder.info.role;
    }

    Result<FolderReport> run() {
        MF_TRY(check_directory_name());
        MF_TRY(writer_.ensure_folder(folder_.maildir));
        auto status = source_.open_folder(folder_.info);
        if (!status) return status.error();
        uidvalidity_ = status->uidvalidity;
        opened_ = *status;

        auto others = cache_.count_other_generation(folder_.id, uidvalidity_);
        if (!others) return others.error();
        if (*others > 0) MF_TRY(prepare_rematch());

        auto highest = cache_.highest_cached_uid(folder_.id, uidvalidity_);
        if (!highest) return highest.error();
        highest_ = *highest;
        MF_TRY(cache_.set_folder_state(folder_.id, uidvalidity_, highest_, now_epoch()));
        // Nothing lies above UID 4294967295: "highest + 1" would wrap to 0 and list the folder again.
        if (highest_ < UINT32_MAX) {
            auto listed = source_.list_messages(highest_ + 1);
            if (!listed) return listed.error();
            new_refs_ = std::move(*listed);
        }
        if (highest_ > 0) MF_TRY(refresh_flags());
        MF_TRY(fetch_new());
        // Every cached message's flags are now as new as the folder's state
        // at opening (the new ones were read after it): a later change has a
        // higher modseq, and the next fetch asks for it alone.
        if (opened_.highest_modseq > 0) MF_TRY(cache_.set_flags_modseq(folder_.id, opened_.highest_modseq));
        // Interrupted, a rematch is left undone: what it has not seen yet is not gone.
        if (rematching_ && !interrupted()) MF_TRY(finish_rematch());
        MF_TRY(cache_.set_folder_state(folder_.id, uidvalidity_, highest_, now_epoch()));
        return report_;
    }

    const FolderReport& partial() const { return report_; }

private:
    bool interrupted() const { return options_.interrupted && options_.interrupted(); }

    std::string path_in_cache(const std::string& rel) const { return kMailPrefix + rel; }

    // A name the file system cannot hold (ENAMETOOLONG) fails this folder, not
    // the run. New folders get names that fit (run_fetch); this catches one an
    // older mailferry stored, or a cache whose own path is near PATH_MAX.
    Status check_directory_name() const {
        size_t path = cache_.mail_root().size() + folder_.maildir.size() + 6 + kLongestFileName;
        if (folder_.maildir.size() <= name_max_ && path < PATH_MAX) return {};
        return make_error(ErrorKind::invalid_data, Radius::folder,
                          "its directory name (" + std::to_string(folder_.maildir.size()) +
                              " bytes) is too long for the cache's file system");
    }

    // Recorded as a fetch failure (the next run asks again), reported, and not
    // asked for again in this run.
    Status fail_message(uint32_t uid, Error e) {
        e.context.clear();
        const std::string why = e.describe();
        MF_TRY(cache_.record_failure(folder_.id, uidvalidity_, uid, why));
        memo_.skip.insert(uid);
        memo_.message_errors.push_back("UID " + std::to_string(uid) + ": " + why);
        return {};
    }

    // After a failed FETCH: a message the source gave up on fails alone, and so
    // does one during which the connection was lost twice in a row (a server
    // that says BYE on one message would otherwise stop every run there). The
    // connection is spent either way: the folder starts again on a new one.
    Status after_failure(Error e, const std::vector<uint32_t>& asked) {
        auto uid = uid_named(e);
        if (!uid || std::find(asked.begin(), asked.end(), *uid) == asked.end()) return e;
        const bool lost = e.kind == ErrorKind::temporary && e.radius != Radius::message;
        if (lost && memo_.lost_uid != *uid) {
            memo_.lost_uid = *uid;  // once may be the network
            return e;
        }
        if (!lost && e.radius != Radius::message) return e;
        if (lost) e.message += " (twice in a row on this message)";
        MF_TRY(fail_message(*uid, e));
        memo_.restart = true;
        return e;
    }

    // After a UIDVALIDITY change the cached messages are still the same mail:
    // each one fetched again is recognised by its SHA-256 and re-keyed, not stored twice.
    Status prepare_rematch() {
        rematching_ = true;
        report_.uidvalidity_changed = true;
        return cache_.for_each_message(folder_.id, [&](const cache::CachedMessage& m) {
            if (m.uidvalidity != uidvalidity_ && !m.gone) old_generation_.emplace(m.sha256, m.id);
        });
    }

    Status finish_rematch() {
        std::vector<int64_t> gone;
        for (const auto& [sha, id] : old_generation_) gone.push_back(id);
        report_.gone += gone.size();
        return cache_.set_gone(gone, true);
    }

    // Whether only the flags changed since the last refresh need asking
    // for: the source says modseqs, the last refresh's is known and not
    // above today's, and no message was expunged since (the server holds as
    // many messages at or below highest_ as the cache holds live, UIDs never
    // coming back). A count that differs asks for every message's flags,
    // which also finds the ones gone.
    Result<bool> flags_incremental(uint64_t since) {
        if (opened_.highest_modseq == 0 || since == 0 || since > opened_.highest_modseq || rematching_) return false;
        auto live = cache_.live_message_count(folder_.id, uidvalidity_);
        if (!live) return live.error();
        const uint64_t above = new_refs_.size();
        return opened_.exists >= above && *live == opened_.exists - above;
    }

    Status refresh_flags() {
        auto since = cache_.flags_modseq(folder_.id);
        if (!since) return since.error();
        auto incremental = flags_incremental(*since);
        if (!incremental) return incremental.error();
        std::vector<std::pair<uint32_t, Flags>> server;
        const auto keep = [&](uint32_t uid, const Flags& f) { server.emplace_back(uid, f); };
        if (!*incremental) {
            report_.flags_read = "all";
            MF_TRY(source_.fetch_flags(highest_, keep));
        } else if (*since < opened_.highest_modseq) {
            report_.flags_read = "changed";
            MF_TRY(source_.fetch_flag_changes(highest_, *since, keep));
        } else {
            report_.flags_read = "unchanged";  // nothing changed in the folder: not even asked
            return {};
        }
        return apply_flags(server, !*incremental);
    }

    // server: (UID, flags) as the source reported them. complete: every
    // message at or below highest_ was reported, so one missing is gone.
    Status apply_flags(std::vector<std::pair<uint32_t, Flags>>& server, bool complete) {
        std::sort(server.begin(), server.end(), [](auto& a, auto& b) { return a.first < b.first; });

        std::vector<cache::FlagChange> changes;
        std::vector<std::string> old_paths;
        std::vector<int64_t> now_gone, back;
        size_t i = 0;
        Status link_error;
        MF_TRY(cache_.for_each_message(folder_.id, [&](const cache::CachedMessage& m) {
            if (m.uidvalidity != uidvalidity_ || !link_error.ok()) return;
            while (i < server.size() && server[i].first < m.uid) ++i;
            if (i == server.size() || server[i].first != m.uid) {
                if (complete && !m.gone) now_gone.push_back(m.id);
                return;
            }
            if (m.gone) back.push_back(m.id);
            const Flags& f = server[i].second;
            std::string text = f.to_imap();
            if (text == m.flags) return;
            auto fresh = writer_.link_with_flags(m.path.substr(kMailPrefix.size()), f);
            if (!fresh) {
                link_error = fresh.error();
                return;
            }
            std::string new_path = path_in_cache(*fresh);
            if (new_path != m.path) old_paths.push_back(m.path);
            changes.push_back({m.id, text, new_path});
        }));
        if (!link_error.ok()) return link_error;
        // New names durable, then the index, then the old names go (never a row without its file).
        MF_TRY(writer_.sync_folders({folder_.maildir}));
        if (!changes.empty()) failpoint("flags.linked");
        MF_TRY(cache_.apply_flag_changes(changes));
        if (!changes.empty()) failpoint("flags.indexed");
        for (const auto& p : old_paths) MF_TRY(wrap::remove_file(cache_.absolute(p)));
        MF_TRY(cache_.set_gone(now_gone, true));
        MF_TRY(cache_.set_gone(back, false));
        report_.flags_refreshed += changes.size();
        report_.gone += now_gone.size();
        return {};
    }

    Status fetch_new() {
        auto failed = cache_.failed_uids(folder_.id, uidvalidity_);
        if (!failed) return failed.error();
        // Messages the server would not send last time are asked for again.
        std::vector<MessageRef> todo;
        if (!failed->empty()) {
            std::set<uint32_t> retry(failed->begin(), failed->end());
            retrying_ = retry;
            auto all = source_.list_messages(*retry.begin());
            if (!all) return all.error();
            for (const auto& r : *all)
                if (retry.count(r.uid) && r.uid <= highest_) todo.push_back(r);
        }
        todo.insert(todo.end(), new_refs_.begin(), new_refs_.end());
        MF_TRY(drop_unfetchable(todo));
        for (const auto& r : todo) {
            progress_.messages_planned += 1;
            progress_.bytes_planned += r.size;
        }
        std::vector<uint32_t> batch;
        uint64_t batch_bytes = 0;
        for (const auto& r : todo) {
            batch.push_back(r.uid);
            batch_bytes += r.size;
            if (batch_bytes >= options_.batch_bytes || batch.size() >= options_.batch_messages) {
                if (interrupted()) return {};  // the messages above the last stored wait for the next run
                MF_TRY(fetch_batch(batch));
                batch.clear();
                batch_bytes = 0;
            }
        }
        if (!batch.empty() && !interrupted()) MF_TRY(fetch_batch(batch));
        return {};
    }

    // Messages that failed alone earlier in this run, and messages listed over
    // the size limit (failed at once: the server is never asked for them).
    Status drop_unfetchable(std::vector<MessageRef>& todo) {
        std::vector<MessageRef> kept;
        for (const auto& r : todo) {
            if (memo_.skip.count(r.uid)) continue;
            if (options_.max_message_size && r.size > options_.max_message_size) {
                MF_TRY(fail_message(r.uid, make_error(ErrorKind::too_big, Radius::message,
                                                      "listed as " + std::to_string(r.size) +
                                                          " bytes, over the limit of " +
                                                          std::to_string(options_.max_message_size >> 20) +
                                                          " MB (--max-message-size): not fetched")));
                continue;
            }
            kept.push_back(r);
        }
        todo = std::move(kept);
        return {};
    }

    Status fetch_batch(const std::vector<uint32_t>& uids) {
        std::vector<cache::MessageRecord> rows;
        std::vector<cache::Rekey> rekeyed;
        std::set<uint32_t> returned;
        const std::set<uint32_t> asked(uids.begin(), uids.end());
        Status fetched = source_.fetch_messages(uids, [&](const FetchedMessage& m) -> Status {
            // Only what was asked for, once: a server's unrequested extra is not a message of this folder.
            if (!asked.count(m.uid) || returned.count(m.uid)) return {};
            returned.insert(m.uid);
            cache::MessageRecord rec;
            rec.folder_id = folder_.id;
            rec.uidvalidity = uidvalidity_;
            rec.uid = m.uid;
            rec.sha256 = wrap::sha256_hex(m.bytes);
            rec.size = m.bytes.size();
            rec.received = m.received;
            rec.flags = m.flags;
            rec.source_key = std::string(m.source_key);
            rec.received_from = m.received_from;
            progress_.messages_done += 1;
            progress_.bytes_done += m.bytes.size();
            if (rematching_) {
                if (auto it = old_generation_.find(rec.sha256); it != old_generation_.end()) {
                    rekeyed.push_back({it->second, m.uid, m.flags.to_imap()});
                    old_generation_.erase(it);
                    return {};
                }
            }
            rec.headers = mime::read_header_fields(m.bytes);
            MF_TRY(writer_.stage(folder_.maildir,
                                 maildir::imap_base_name(m.received, uidvalidity_, m.uid, m.bytes.size()),
                                 m.bytes, m.received, m.flags));
            rows.push_back(std::move(rec));
            return {};
        });
        if (!fetched.ok() && fetched.error().kind == ErrorKind::io) {
            writer_.abort();
            return fetched;
        }
        // What arrived complete is kept even when the connection broke mid-batch.
        auto paths = writer_.commit();
        if (!paths) {
            writer_.abort();
            return paths.error();
        }
        for (size_t k = 0; k < rows.size(); ++k) rows[k].path = path_in_cache((*paths)[k]);
        // One transaction for the batch's new rows, its re-keyed rows and the
        // failures it clears. Only UIDs that failed before have a failure row.
        cache::FetchedBatch batch{folder_.id, uidvalidity_, std::move(rows), std::move(rekeyed), {}};
        for (uint32_t uid : returned)
            if (retrying_.count(uid)) batch.recovered.push_back(uid);
        MF_TRY(cache_.store_fetched_batch(batch));
        const auto& stored = batch.rows;
        for (uint32_t uid : returned) highest_ = std::max(highest_, uid);
        report_.new_messages += stored.size();
        for (const auto& r : stored) report_.new_bytes += r.size;
        report_.rematched += batch.rekeyed.size();
        if (!fetched.ok()) return after_failure(fetched.error(), uids);
        return record_missing(uids, returned);
    }

    // A server may leave a message out of a FETCH (it could not read it):
    // recorded, retried on the next run, and reported now.
    Status record_missing(const std::vector<uint32_t>& asked, const std::set<uint32_t>& returned) {
        for (uint32_t uid : asked) {
            if (returned.count(uid)) continue;
            MF_TRY(cache_.record_failure(folder_.id, uidvalidity_, uid, "the source did not return the message"));
            missing_.push_back(uid);
        }
        return {};
    }

public:
    std::vector<uint32_t> missing_;

private:
    cache::Cache& cache_;
    MailSource& source_;
    const FetchOptions& options_;
    FetchProgress& progress_;
    const cache::FolderRecord& folder_;
    FolderMemo& memo_;
    size_t name_max_;
    maildir::MaildirWriter writer_;
    FolderReport report_;
    uint32_t uidvalidity_ = 0;
    FolderStatus opened_;              // as open_folder said
    std::vector<MessageRef> new_refs_;  // the messages above highest_ when the folder was opened
    uint32_t highest_ = 0;
    bool rematching_ = false;
    std::unordered_multimap<std::string, int64_t> old_generation_;
    std::set<uint32_t> retrying_;  // UIDs the server did not send last time
};

// Shared by the workers: the folder queue and what they found.
struct RunState {
    cache::Cache& cache;
    const SourceFactory& open_source;
    const FetchOptions& options;
    FetchProgress& progress;
    std::mutex mutex;
    std::deque<cache::FolderRecord> queue;
    std::vector<FolderReport> reports;
    std::optional<Error> fatal;
    size_t name_max = 255;  // the longest directory name the cache's file system takes

    std::optional<cache::FolderRecord> next() {
        std::lock_guard<std::mutex> l(mutex);
        if (fatal || queue.empty() || (options.interrupted && options.interrupted())) return std::nullopt;
        auto f = std::move(queue.front());
        queue.pop_front();
        return f;
    }
    void finish(FolderReport r) {
        std::lock_guard<std::mutex> l(mutex);
        reports.push_back(std::move(r));
        progress.folders_done += 1;
    }
    void stop(Error e) {
        std::lock_guard<std::mutex> l(mutex);
        if (!fatal) fatal = std::move(e);
    }
    bool stopped() {
        std::lock_guard<std::mutex> l(mutex);
        return fatal.has_value() || (options.interrupted && options.interrupted());
    }
};

void add_counts(FolderReport& into, const FolderReport& from) {
    into.new_messages += from.new_messages;
    into.new_bytes += from.new_bytes;
    into.flags_refreshed += from.flags_refreshed;
    into.gone += from.gone;
    into.rematched += from.rematched;
    into.uidvalidity_changed |= from.uidvalidity_changed;
    if (into.flags_read.empty()) into.flags_read = from.flags_read;
}

// What the folder's report says: this attempt's counts, those of attempts
// that ended early, and every message that failed alone.
void finish_folder(RunState& st, FolderMemo& memo, FolderReport r) {
    add_counts(r, memo.carried);
    r.message_errors = std::move(memo.message_errors);
    st.finish(std::move(r));
}

FolderReport empty_report(const cache::FolderRecord& folder) {
    FolderReport r;
    r.name = folder.info.name;
    r.role = folder.info.role;
    return r;
}

// The run stops; the folder's messages that failed alone are reported all the same.
bool stop_run(RunState& st, FolderMemo& memo, const cache::FolderRecord& folder, Error e) {
    e.in("folder " + folder.info.name);
    if (!memo.message_errors.empty()) finish_folder(st, memo, empty_report(folder));
    st.stop(std::move(e));
    return false;
}

// Fetches one folder, reconnecting after a lost connection (retry_policy.hpp).
// Returns false when the run must stop.
bool fetch_one(RunState& st, std::unique_ptr<MailSource>& source, const cache::FolderRecord& folder,
               std::mt19937& rng) {
    FolderMemo memo;
    std::optional<FolderReport> finished;
    std::function<AttemptResult(MailSource&)> attempt = [&](MailSource& s) -> AttemptResult {
        FolderFetcher fetcher(st.cache, s, st.options, st.progress, folder, memo, st.name_max);
        auto r = fetcher.run();
        if (r) {
            if (!fetcher.missing_.empty()) {
                r->error = std::to_string(fetcher.missing_.size()) +
                           " message(s) not returned by the source (first UID " +
                           std::to_string(fetcher.missing_.front()) + "); retried on the next run";
            }
            finished = std::move(*r);
            return {};
        }
        const FolderReport& partial = fetcher.partial();
        add_counts(memo.carried, partial);  // an attempt that ended early still fetched what it did
        // A message that failed alone (recorded, never asked for again) took
        // the connection with it: that is progress, and the folder goes on.
        bool progressed = memo.restart || partial.new_messages > 0;
        memo.restart = false;
        return {r.error(), progressed};
    };
    std::function<bool()> stopped = [&st] { return st.stopped(); };
    RetryOutcome out = run_with_retries<MailSource>(st.options.retry, source, st.open_source, attempt, stopped,
                                                    nullptr, rng);
    switch (out.end) {
    case RetryEnd::done:
        finish_folder(st, memo, std::move(*finished));
        return true;
    case RetryEnd::stopped:
        return false;
    case RetryEnd::folder_failed: {
        Error e = *out.error;
        e.context.clear();  // the report names the folder
        FolderReport failed = empty_report(folder);
        failed.error = e.describe();
        finish_folder(st, memo, std::move(failed));
        return true;
    }
    case RetryEnd::gave_up:
        // The connection, not the folder, keeps failing: the other folders
        // would fare no better, so the run stops here (the next run resumes).
        out.error->message += " (gave up after " + std::to_string(out.stalled) + " connections)";
        return stop_run(st, memo, folder, *out.error);
    case RetryEnd::ends_run:
        break;
    }
    return stop_run(st, memo, folder, *out.error);
}

void worker(RunState& st, std::unique_ptr<MailSource> source, unsigned seed) {
    std::mt19937 rng(seed);
    while (auto folder = st.next()) {
        if (!fetch_one(st, source, *folder, rng)) return;
    }
}

// The longest file name the cache's file system takes (NAME_MAX: 255 on most, 143 on eCryptfs).
size_t name_max_of(cache::Cache& cache) {
    long n = ::pathconf(cache.mail_root().c_str(), _PC_NAME_MAX);
    if (n <= 0) n = ::pathconf(cache.absolute(".").c_str(), _PC_NAME_MAX);
    return n >= 64 ? static_cast<size_t>(n) : 255;
}

FetchReport summarize(RunState& st, const cache::RecoveryReport& rec) {
    FetchReport report;
    report.interrupted = st.options.interrupted && st.options.interrupted();
    report.folders = std::move(st.reports);
    std::sort(report.folders.begin(), report.folders.end(),
              [](const FolderReport& a, const FolderReport& b) { return a.name < b.name; });
    for (const auto& f : report.folders) {
        report.new_messages += f.new_messages;
        report.new_bytes += f.new_bytes;
        report.flags_refreshed += f.flags_refreshed;
        report.gone += f.gone;
        report.rematched += f.rematched;
        for (const auto& m : f.message_errors) report.errors.push_back("folder " + f.name + ", " + m);
        if (!f.error.empty()) report.errors.push_back("folder " + f.name + ": " + f.error);
        if (f.uidvalidity_changed)
            report.warnings.push_back("folder " + f.name + ": UIDVALIDITY changed; " +
                                      std::to_string(f.rematched) + " message(s) re-matched by SHA-256, " +
                                      std::to_string(f.new_messages) + " new");
    }
    report.recovered_adopted = rec.adopted;
    report.recovered_tmp_removed = rec.tmp_removed;
    if (rec.adopted || rec.tmp_removed)
        report.warnings.push_back("recovered from an interrupted run: " + std::to_string(rec.adopted) +
                                  " message file(s) adopted, " + std::to_string(rec.tmp_removed) +
                                  " partial file(s) removed");
    report.fatal = st.fatal;
    return report;
}

// The source's folders, listed over the first connection (on the retry policy).
Result<std::vector<SourceFolder>> list_source_folders(std::unique_ptr<MailSource>& first,
                                                      const SourceFactory& open_source, const FetchOptions& options) {
    std::vector<SourceFolder> listed;
    std::function<Status(MailSource&)> list_step = [&](MailSource& s) -> Status {
        auto folders = s.list_folders();
        if (!folders) return folders.error();
        listed = std::move(*folders);
        return {};
    };
    MF_TRY(first_step_with_retries<MailSource>(options.retry, first, open_source, list_step));
    return listed;
}

// A cache folder for each listed one (folders gone from the source are
// marked absent), and the queue of those to fetch: INBOX first, as users look there first.
Status queue_folders(RunState& st, int64_t source_id, const std::vector<SourceFolder>& listed) {
    FolderFilter filter(st.options.include, st.options.exclude);
    std::vector<int64_t> present;
    for (const auto& f : listed) {
        // Room is kept for the " (source N)" the cache adds to a name another source took.
        std::string dir = maildir::folder_directory(maildir::split_levels(f.raw_name, f.delimiter));
        auto rec = st.cache.ensure_folder(source_id, f, maildir::fit_directory_name(dir, st.name_max - 32));
        if (!rec) return rec.error();
        present.push_back(rec->id);
        const bool wanted = !st.options.folder_wanted || st.options.folder_wanted(f);
        if (f.selectable && filter.accepts(f) && wanted) rec->maildir.empty() ? st.queue.push_front(*rec) : st.queue.push_back(*rec);
    }
    MF_TRY(st.cache.mark_folders_absent(source_id, present));
    st.progress.folders_total = st.queue.size();
    return {};
}

void run_workers(RunState& st, std::unique_ptr<MailSource> first) {
    int workers = std::max(1, std::min<int>(st.options.connections, static_cast<int>(st.queue.size())));
    std::vector<std::thread> threads;
    for (int i = 1; i < workers; ++i) threads.emplace_back(worker, std::ref(st), nullptr, 100u + static_cast<unsigned>(i));
    worker(st, std::move(first), 100u);
    for (auto& t : threads) t.join();
}

void add_text_index(FetchReport& report, std::optional<cache::BackgroundTextIndex>& text_index) {
    if (!text_index) return;
    if (auto text = text_index->finish()) {
        report.text_indexed = text->indexed;
        report.text_unparsed = text->unparsed;
    } else {
        report.warnings.push_back("the full-text index was not updated: " + text.error().describe());
    }
}

// The audit trail (docs/architecture.md §3, runs): what this run did, in numbers.
std::string run_summary(const FetchReport& r) {
    return json_text(nlohmann::json{{"new_messages", r.new_messages}, {"new_bytes", r.new_bytes},
                                    {"flags_refreshed", r.flags_refreshed}, {"gone", r.gone},
                                    {"rematched", r.rematched}, {"folder_errors", r.errors.size()}});
}

}  // namespace

Result<FetchReport> run_fetch(cache::Cache& cache, std::unique_ptr<MailSource> first,
                              const SourceFactory& open_source, const FetchOptions& options,
                              FetchProgress& progress) {
    auto started = std::chrono::steady_clock::now();
    Result<cache::RecoveryReport> recovered = cache::RecoveryReport{};
    if (options.recover) recovered = cache::recover(cache);
    if (!recovered) return recovered.error();
    auto listed = list_source_folders(first, open_source, options);
    if (!listed) return listed.error();
    auto source_id = cache.ensure_source(options.source_kind, options.server, options.account);
    if (!source_id) return source_id.error();
    auto run_id = cache.begin_run(options.command, *source_id);
    if (!run_id) return run_id.error();

    RunState st{cache, open_source, options, progress, {}, {}, {}, {}};
    st.name_max = name_max_of(cache);
    MF_TRY(queue_folders(st, *source_id, *listed));
    // The full-text index takes what this run (or a killed one) adds, beside
    // the fetch and to the end after it.
    std::optional<cache::BackgroundTextIndex> text_index;
    if (options.index_text) text_index.emplace(cache);
    run_workers(st, std::move(first));

    FetchReport report = summarize(st, *recovered);
    add_text_index(report, text_index);
    if (auto n = cache.message_count()) report.cached_messages = static_cast<uint64_t>(*n);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!report.fatal) (void)cache.touch_source(*source_id, now_epoch());
    (void)cache.end_run(*run_id, report.ok(), run_summary(report));
    return report;
}

}  // namespace mailferry::pipeline
