#include "pipeline/folder_replayer.hpp"
#include "core/failpoint.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "cache/message_file.hpp"
#include "pipeline/long_line_repair.hpp"
#include "pipeline/preflight.hpp"

namespace mailferry::pipeline::detail {
namespace {

// Replays one planned folder over one connection. Returns an account-level
// error when the connection must be replaced; message-level problems are
// recorded in the ledger and the report.
// The system flags to add and to remove to go from `sent` to `now`.
std::pair<Flags, Flags> system_flag_change(const Flags& sent, const Flags& now) {
    Flags add, remove;
    for (bool Flags::*f : {&Flags::seen, &Flags::answered, &Flags::flagged, &Flags::draft}) {
        add.*f = now.*f && !(sent.*f);
        remove.*f = sent.*f && !(now.*f);
    }
    return {add, remove};
}

class FolderReplayer {
public:
    // final_sweep: the run's last visit to the folder, which waits for young
    // pending messages instead of leaving them for later.
    FolderReplayer(RunState& st, MailTarget& target, size_t index, bool final_sweep = false)
        : final_sweep_(final_sweep), st_(st), target_(target), report_(st.reports[index]),
          folder_id_(st.folder_ids[index]) {}

    Status run() {
        MF_TRY(target_.create_folder(report_.target));
        auto opened = target_.open_folder(report_.target, false);
        if (!opened) return opened.error();
        uidvalidity_ = opened->uidvalidity;
        keywords_ok_ = opened->keywords_allowed;
        // Messages a dead run left pending are looked for now, and what is not
        // found is sent last, after one more look: an APPEND the dead client
        // had sent may still be landing on the server.
        if (st_.options.propagate_deletes) MF_TRY(skip_gone_unsent());
        MF_TRY(resolve_pending(false));
        MF_TRY(append_all(false));
        MF_TRY(resolve_pending(true));
        MF_TRY(append_all(true));
        MF_TRY(carry_flag_changes());
        return st_.options.propagate_deletes ? carry_deletions() : Status{};
    }

    uint64_t progress_made() const { return progress_made_; }

private:
    // A message marked pending by a run that died may be on the target already:
    // look for it before sending it again (docs/architecture.md §6). A target UID that
    // the ledger already gives to a message is never claimed twice, so
    // identical messages (the corpus has some) each find their own copy.
    Status resolve_pending(bool last_look) {
        claimed_.clear();
        auto claimed_rows = st_.ledger.done_uids(report_.target);
        if (!claimed_rows) return claimed_rows.error();
        for (const auto& [v, u] : *claimed_rows)
            if (v == uidvalidity_) claimed_.insert(u);
        int64_t after = 0;
        std::vector<cache::AppendedAt> found;
        for (;;) {
            auto page = st_.ledger.to_replay(folder_id_, after, kPage);
            if (!page) return page.error();
            if (page->empty()) break;
            for (const auto& item : *page) {
                after = item.message_id;
                if (item.state != cache::LedgerState::pending) continue;
                if (last_look && too_young(item)) {
                    if (!final_sweep_) continue;  // left pending; the final sweep looks again
                    wait_for_stragglers(item);
                }
                auto uid = find_on_target(item);
                if (!uid) return uid.error();
                if (!*uid && last_look) confirmed_missing_.insert(item.message_id);
                if (!*uid) continue;
                auto kept = kept_flags(item);
                if (kept) kept_flags_[item.message_id] = *kept;
                found.push_back({item.message_id, uidvalidity_, *uid, "found on the target after an interrupted run", kept});
            }
        }
        MF_TRY(st_.ledger.mark_done(found, report_.target));
        report_.resolved += found.size();
        progress_made_ += found.size();
        return {};
    }

    // A pending row younger than options.straggler_seconds may belong to an
    // APPEND still in the server's hands (its client was killed a moment ago).
    bool too_young(const cache::LedgerItem& item) const {
        return item.updated_at + st_.options.straggler_seconds > now_epoch();
    }
    void wait_for_stragglers(const cache::LedgerItem& item) {
        int64_t wait = item.updated_at + st_.options.straggler_seconds - now_epoch();
        if (wait > 0) std::this_thread::sleep_for(std::chrono::seconds(wait));
    }

    // Candidates by Message-ID when it has one (cheap on every server), else by
    // size and date; the match must have the exact size and INTERNALDATE.
    Result<uint32_t> find_on_target(const cache::LedgerItem& item) {
        auto bytes = cache::read_message_file(st_.cache, item.path, item.compressed);
        if (!bytes) return bytes.error();
        uint64_t wire_size = to_wire(*bytes, st_.options.disarm_receipts).bytes.size();
        auto candidates = target_.find_messages(ascii_only(item.header_message_id), wire_size, item.received);
        if (!candidates) return candidates.error();
        uint32_t match = 0;
        for (const TargetMessage& m : *candidates)
            if (!claimed_.count(m.uid) && m.size == wire_size && m.internaldate == item.received &&
                (!match || m.uid < match))
                match = m.uid;
        if (match) claimed_.insert(match);
        return match;
    }

    // First pass: messages never tried (or refused before); last pass: the
    // pending ones that the last look did not find on the target.
    Status append_all(bool pending_pass) {
        pending_pass_ = pending_pass;
        int64_t after = 0;
        for (;;) {
            if (st_.stopped()) return {};
            auto page = st_.ledger.to_replay(folder_id_, after, kPage);
            if (!page) return page.error();
            if (page->empty()) break;
            after = page->back().message_id;
            MF_TRY(send_page(*page));
        }
        Status drained = target_.finish_appends([&](const AppendReply& r) { on_reply(r); });
        MF_TRY(flush_done());
        return drained ? reply_error_ : worst(drained);
    }

    // Whether this pass sends the item at all.
    bool due(const cache::LedgerItem& item) {
        if (refused_in_this_run(item.message_id)) return false;  // not again until the next run
        if ((item.state == cache::LedgerState::pending) != pending_pass_) return false;
        if (pending_pass_ && !confirmed_missing_.count(item.message_id)) return false;  // not looked for yet
        return !used_up(item);
    }

    // The message as it goes out (wire form, flags the profile lets through),
    // or nothing when it can never go as it is: then it is recorded as skipped.
    Result<std::optional<OutgoingMessage>> prepare(const cache::LedgerItem& item) {
        auto bytes = cache::read_message_file(st_.cache, item.path, item.compressed);
        if (!bytes) return bytes.error();
        auto findings = inspect_message(*bytes, st_.profile, st_.size_limit);
        {
            std::lock_guard<std::mutex> l(st_.mutex);
            for (const auto& w : findings.warnings()) st_.totals.warnings[w] += 1;
        }
        WireMessage wire = to_wire(*bytes, st_.options.disarm_receipts);
        std::string note = wire.receipt_disarmed ? "read receipt disarmed" : "";
        std::string blocked = repair_if_asked(findings, wire, note);
        if (blocked.empty()) blocked = findings.blocking_reason(st_.profile, bytes->size(), st_.size_limit);
        if (!blocked.empty()) {
            MF_TRY(skip(item, blocked));
            return std::optional<OutgoingMessage>();
        }
        if (!note.empty()) notes_[item.message_id] = note;
        if (auto kept = kept_flags(item)) kept_flags_[item.message_id] = *kept;
        OutgoingMessage c;
        c.token = static_cast<uint64_t>(item.message_id);
        {
            std::lock_guard<std::mutex> l(st_.mutex);
            st_.totals.line_endings_repaired += wire.line_endings_repaired;
            st_.totals.nul_removed += wire.nul_removed;
            st_.totals.receipts_disarmed += wire.receipt_disarmed;
            c.flags = flags_for(stored_flags(item.flags, st_.totals), st_.profile, keywords_ok_, st_.totals);
        }
        c.internaldate = item.received;
        c.bytes = std::move(wire.bytes);
        return std::optional<OutgoingMessage>(std::move(c));
    }

    Status skip(const cache::LedgerItem& item, const std::string& why) {
        MF_TRY(st_.ledger.mark_skipped(item.message_id, why));
        record(st_.totals.skipped, item, why);
        ++report_.skipped;
        return {};
    }

    Status send_page(const std::vector<cache::LedgerItem>& page) {
        std::vector<std::pair<const cache::LedgerItem*, OutgoingMessage>> ready;
        std::vector<int64_t> pending;
        for (const auto& item : page) {
            if (!due(item)) continue;
            auto prepared = prepare(item);
            if (!prepared) return prepared.error();
            if (!*prepared) continue;
            pending.push_back(item.message_id);
            ready.emplace_back(&item, std::move(**prepared));
        }
        // Pending first, durably: a crash after the APPEND then finds the message by looking.
        MF_TRY(st_.ledger.mark_pending(pending, report_.target));
        failpoint("replay.pending");
        for (auto& [item, command] : ready) {
            failpoint("replay.before_append");
            st_.limiter.acquire(command.bytes.size());
            // Known before the reply: a target may answer inside append().
            sizes_[item->message_id] = command.bytes.size();
            Status sent = target_.append(std::move(command), [&](const AppendReply& r) { on_reply(r); });
            if (!sent && sent.error().radius == Radius::message) {  // not sent: this message cannot be written safely
                MF_TRY(skip(*item, sent.error().message));
                continue;
            }
            if (!sent) return worst(sent);
            if (!reply_error_.ok()) return reply_error_;
            // A full mailbox (or another connection's fatal error) stops the
            // run: nothing more goes out. What is marked pending and unsent is
            // looked for on the target next time, then sent.
            if (st_.stopped()) break;
        }
        MF_TRY(flush_done());
        return reply_error_;
    }

    // --repair long-lines: re-encode the parts with over-long lines, in the
    // bytes sent only. Returns why the message must be skipped, or "".
    std::string repair_if_asked(PreflightFindings& findings, WireMessage& wire, std::string& note) {
        if (!findings.long_lines || !st_.options.repair_long_lines) return "";
        auto fixed = repair_long_lines(wire.bytes, st_.profile.max_line_length);
        if (!fixed.failure.empty()) return "long lines that cannot be repaired: " + fixed.failure;
        wire.bytes = std::move(fixed.bytes);
        findings.long_lines = false;
        note += std::string(note.empty() ? "" : "; ") + "long lines: " + std::to_string(fixed.parts_reencoded) +
                " part(s) re-encoded, " + std::to_string(fixed.headers_folded) + " header line(s) folded";
        std::lock_guard<std::mutex> l(st_.mutex);
        st_.totals.long_lines_repaired += 1;
        return "";
    }

    bool refused_in_this_run(int64_t id) {
        std::lock_guard<std::mutex> l(st_.mutex);
        return st_.refused.count(id) > 0;
    }
    void refuse(int64_t id) {
        std::lock_guard<std::mutex> l(st_.mutex);
        st_.refused.insert(id);
    }

    // true when the server has answered this message with a temporary refusal
    // max_attempts times in this run: it is then recorded as failed with the
    // server's last words. Resends after a lost connection do not count.
    bool used_up(const cache::LedgerItem& item) {
        std::string last;
        {
            std::lock_guard<std::mutex> l(st_.mutex);
            auto it = st_.attempts.find(item.message_id);
            if (it == st_.attempts.end() || it->second < st_.profile.max_attempts) return false;
            last = st_.last_reply[item.message_id];
        }
        std::string why = "gave up after " + std::to_string(st_.profile.max_attempts) + " temporary refusals: " + last;
        (void)st_.ledger.mark_failed(item.message_id, why);
        refuse(item.message_id);
        ++report_.failed;
        record(st_.totals.failed, item, why);
        return true;
    }

    // A throttling reply is usually followed by BYE and a closed line: the
    // reply, which says how long to wait, is the error that counts.
    Status worst(const Status& connection_error) {
        (void)flush_done();
        return reply_error_.ok() ? connection_error : reply_error_;
    }

    void record(std::vector<SkippedMessage>& list, const cache::LedgerItem& item, const std::string& why) {
        std::lock_guard<std::mutex> l(st_.mutex);
        list.push_back({report_.source, describe_message(item), why});
    }

    void on_reply(const AppendReply& r) {
        auto id = static_cast<int64_t>(r.token);
        if (r.accepted) {
            failpoint("replay.appended");  // on the target, not yet in the ledger
            std::optional<std::string> kept;
            if (auto k = kept_flags_.find(id); k != kept_flags_.end()) kept = k->second;
            done_.push_back({id, r.uidvalidity ? r.uidvalidity : uidvalidity_, r.uid, notes_[id], kept});
            ++report_.appended;
            ++progress_made_;
            uint64_t size = sizes_.count(id) ? sizes_[id] : 0;
            report_.bytes += size;
            st_.progress.messages_done += 1;
            st_.progress.bytes_done += size;
            return;
        }
        std::string text = r.status + " " + r.text;
        switch (st_.profile.classify(r.text)) {
        case net::ReplyClass::throttled:
        case net::ReplyClass::temporary: {
            // The message stays pending; the folder is resumed on a new connection.
            Error e = make_error(ErrorKind::temporary, Radius::account, "the server asked to slow down");
            e.server_text = text;
            if (reply_error_.ok()) reply_error_ = e;
            std::lock_guard<std::mutex> l(st_.mutex);
            st_.totals.throttled += 1;
            st_.last_reply[id] = text;
            st_.attempts[id] += 1;
            return;
        }
        case net::ReplyClass::quota: {
            Error e = make_error(ErrorKind::quota, Radius::fatal, "the target mailbox is full");
            e.server_text = text;
            st_.stop(e);
            return;
        }
        case net::ReplyClass::too_big:
            (void)st_.ledger.mark_skipped(id, text);
            refuse(id);
            ++report_.skipped;
            note_refusal(st_.totals.skipped, id, text);
            return;
        case net::ReplyClass::rejected:
        case net::ReplyClass::ok:
            (void)st_.ledger.mark_failed(id, text);
            refuse(id);
            ++report_.failed;
            note_refusal(st_.totals.failed, id, text);
            return;
        }
    }

    void note_refusal(std::vector<SkippedMessage>& list, int64_t id, const std::string& text) {
        std::lock_guard<std::mutex> l(st_.mutex);
        list.push_back({report_.source, "message " + std::to_string(id), text});
    }

    Status flush_done() {
        if (!done_.empty()) failpoint("replay.before_done");
        MF_TRY(st_.ledger.mark_done(done_, report_.target));
        if (!done_.empty()) failpoint("replay.done");
        done_.clear();
        return {};
    }

    // office365: \Flagged set on APPEND is later forgotten, so it is stored after.
    // The flags the target keeps of a message given with the APPEND, when not
    // all of them: Exchange forgets \Flagged (docs/office365.md). Recorded as
    // sent, they leave \Flagged to carry_flag_changes, which sets it after the
    // APPEND and, after a crash in between, at the next run.
    std::optional<std::string> kept_flags(const cache::LedgerItem& item) const {
        if (!st_.profile.flagged_after_append) return std::nullopt;
        Flags f = Flags::from_imap(item.flags);
        if (!f.flagged) return std::nullopt;
        f.flagged = false;
        return f.to_imap();
    }

    // Flags changed at the source after a message went (read, flagged,
    // answered since): the same change on the target, by the UID its APPEND
    // got. Only the system flags a person sets; \Deleted never (a migration
    // destroys nothing), keywords never (the target may not take them).
    Status carry_flag_changes() {
        auto drift = st_.ledger.flag_drift(report_.target, uidvalidity_);
        if (!drift) return drift.error();
        // Messages that need the same change go in one STORE.
        std::map<std::pair<std::string, bool>, std::vector<uint32_t>> stores;
        std::vector<cache::FlagDrift> carried;
        uint64_t flagged_after_append = 0;
        for (const auto& d : *drift) {
            auto [add, remove] = system_flag_change(Flags::from_imap(d.sent_flags), Flags::from_imap(d.flags));
            if (add.flagged && kept_flags_.count(d.message_id)) ++flagged_after_append;
            if (add != Flags{}) stores[{add.to_imap(), true}].push_back(d.target_uid);
            if (remove != Flags{}) stores[{remove.to_imap(), false}].push_back(d.target_uid);
            carried.push_back(d);  // keywords alone changed: nothing to send, and recorded as such
        }
        uint64_t changed = 0;
        for (const auto& [change, uids] : stores) {
            MF_TRY(target_.store_flags(uids, Flags::from_imap(change.first), change.second));
            changed += uids.size();
        }
        MF_TRY(st_.ledger.mark_flags_sent(carried));
        std::lock_guard<std::mutex> l(st_.mutex);
        st_.totals.flagged_stored += flagged_after_append;
        st_.totals.flags_carried += changed - std::min(changed, flagged_after_append);
        return {};
    }

    // --propagate-deletes: what the source deleted before it was ever sent is
    // not sent at all.
    Status skip_gone_unsent() {
        auto skipped = st_.ledger.skip_gone_unsent(folder_id_, report_.target,
                                                   "deleted at the source (--propagate-deletes)");
        if (!skipped) return skipped.error();
        std::lock_guard<std::mutex> l(st_.mutex);
        st_.totals.gone_not_sent += *skipped;
        return {};
    }

    // --propagate-deletes: what the source deleted after it was sent is
    // removed from the target, by the UID this ledger gave it and no other;
    // the ledger records it, so a run killed in between deletes nothing twice
    // (a UID already expunged is simply not there any more).
    Status carry_deletions() {
        auto due = st_.ledger.deletions_due(report_.target, uidvalidity_);
        if (!due) return due.error();
        if (due->empty()) return {};
        std::vector<uint32_t> uids;
        std::vector<int64_t> ids;
        for (const auto& [id, uid] : *due) {
            ids.push_back(id);
            uids.push_back(uid);
        }
        MF_TRY(target_.delete_messages(uids));
        MF_TRY(st_.ledger.mark_deleted(ids));
        std::lock_guard<std::mutex> l(st_.mutex);
        st_.totals.deleted_on_target += ids.size();
        return {};
    }

    bool final_sweep_;
    RunState& st_;
    MailTarget& target_;
    ReplayFolderReport& report_;
    int64_t folder_id_;
    uint32_t uidvalidity_ = 0;
    bool keywords_ok_ = false;
    uint64_t progress_made_ = 0;
    std::vector<cache::AppendedAt> done_;
    std::map<int64_t, uint64_t> sizes_;
    std::map<int64_t, std::string> notes_;  // repairs made to the bytes sent, per message
    std::map<int64_t, std::string> kept_flags_;  // sent in this run without \Flagged (kept_flags)
    std::set<uint32_t> claimed_;  // target UIDs the ledger already gives to a message
    bool pending_pass_ = false;
    std::set<int64_t> confirmed_missing_;  // pending, looked for at the last look, not there
    Status reply_error_;
};

}  // namespace

FolderOutcome replay_folder(RunState& st, MailTarget& target, size_t index, bool final_sweep) {
    FolderReplayer folder(st, target, index, final_sweep);
    FolderOutcome out;
    out.status = folder.run();
    out.progress = folder.progress_made();
    return out;
}

}  // namespace mailferry::pipeline::detail
