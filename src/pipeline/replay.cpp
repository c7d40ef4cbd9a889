#include "pipeline/replay.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "cache/ledger.hpp"
#include "mailferry/clock.hpp"
#include "mailferry/mutf7.hpp"
#include "net/imap/imap_source.hpp"
#include "pipeline/long_line_repair.hpp"
#include "pipeline/preflight.hpp"
#include "wrap/imap_appender.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPage = 500;

// --max-messages-per-second and --max-bytes-per-second, shared by all connections.
class RateLimiter {
public:
    RateLimiter(double messages, double bytes) : messages_(messages), bytes_(bytes), start_(Clock::now()) {}
    void acquire(uint64_t size) {
        if (messages_ <= 0 && bytes_ <= 0) return;
        std::unique_lock<std::mutex> l(mutex_);
        sent_messages_ += 1;
        sent_bytes_ += static_cast<double>(size);
        double due = std::max(messages_ > 0 ? sent_messages_ / messages_ : 0.0, bytes_ > 0 ? sent_bytes_ / bytes_ : 0.0);
        auto at = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(due));
        l.unlock();
        std::this_thread::sleep_until(at);
    }

private:
    std::mutex mutex_;
    double messages_, bytes_;
    double sent_messages_ = 0, sent_bytes_ = 0;
    Clock::time_point start_;
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

    void stop(Error e) {
        std::lock_guard<std::mutex> l(mutex);
        if (!fatal) fatal = std::move(e);
    }
    bool stopped() {
        std::lock_guard<std::mutex> l(mutex);
        return fatal.has_value();
    }
};

std::string ascii_only(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80 && c >= 0x20; }) ? s : "";
}

// The flags a profile lets through, and what it held back.
std::string flags_for(const Flags& f, const net::TargetProfile& p, bool keywords_ok, ReplayReport& counts) {
    Flags out = f;
    out.keywords.clear();
    if (p.flagged_after_append) out.flagged = false;  // set by UID STORE afterwards (office365.md)
    for (const auto& k : f.keywords) {
        bool mdn = k == "$MDNSent" || k == "$mdnsent";
        if (mdn && !p.mdnsent_allowed) ++counts.mdnsent_not_sent;
        else if (!mdn && (!p.keywords_allowed || !keywords_ok)) ++counts.keywords_not_sent;
        else out.keywords.push_back(k);
    }
    return out.to_imap();
}

// Replays one planned folder over one connection. Returns an account-level
// error when the connection must be replaced; message-level problems are
// recorded in the ledger and the report.
class FolderReplayer {
public:
    // final_sweep: the run's last visit to the folder, which waits for young
    // pending messages instead of leaving them for later.
    FolderReplayer(RunState& st, net::ImapConnection& conn, size_t index, bool final_sweep = false)
        : final_sweep_(final_sweep), st_(st), conn_(conn), report_(st.reports[index]), folder_id_(st.folder_ids[index]),
          target_raw_(mutf7_encode(st.reports[index].target)) {}

    Status run() {
        auto& s = conn_.session();
        MF_TRY(s.create(target_raw_));
        (void)s.subscribe(target_raw_);  // a server without subscriptions is no reason to stop
        bool keywords_ok = false;
        auto sel = s.select(target_raw_, &keywords_ok);
        if (!sel) return sel.error();
        uidvalidity_ = sel->uidvalidity;
        keywords_ok_ = keywords_ok;
        // Messages a dead run left pending are looked for now, and what is not
        // found is sent last, after one more look: an APPEND the dead client
        // had sent may still be landing on the server.
        MF_TRY(resolve_pending(false));
        MF_TRY(append_all(false));
        MF_TRY(resolve_pending(true));
        MF_TRY(append_all(true));
        return store_flagged();
    }

    uint64_t progress_made() const { return progress_made_; }

private:
    // A message marked pending by a run that died may be on the target already:
    // look for it before sending it again (design.md §4). A target UID that
    // the ledger already gives to a message is never claimed twice, so
    // identical messages (the corpus has some) each find their own copy.
    Status resolve_pending(bool last_look) {
        claimed_.clear();
        auto claimed_rows = st_.ledger.done_uids(report_.target, "");
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
                if (item.state != "pending") continue;
                if (last_look && too_young(item)) {
                    if (!final_sweep_) continue;  // left pending; the final sweep looks again
                    wait_for_stragglers(item);
                }
                auto uid = find_on_target(item);
                if (!uid) return uid.error();
                if (!*uid && last_look) confirmed_missing_.insert(item.message_id);
                if (*uid) found.push_back({item.message_id, uidvalidity_, *uid, "found on the target after an interrupted run"});
            }
        }
        MF_TRY(st_.ledger.mark_done(found, report_.target));
        report_.resolved += found.size();
        progress_made_ += found.size();
        return {};
    }

    // A pending row younger than this may belong to an APPEND still in the
    // server's hands (its client was killed a moment ago).
    static constexpr int64_t kStragglerSeconds = 5;
    static bool too_young(const cache::LedgerItem& item) {
        return item.updated_at + kStragglerSeconds > now_epoch();
    }
    void wait_for_stragglers(const cache::LedgerItem& item) {
        int64_t wait = item.updated_at + kStragglerSeconds - now_epoch();
        if (wait > 0) std::this_thread::sleep_for(std::chrono::seconds(wait));
    }

    // Candidates by Message-ID when it has one (cheap on every server), else by
    // size and date; the match must have the exact size and INTERNALDATE.
    Result<uint32_t> find_on_target(const cache::LedgerItem& item) {
        auto bytes = wrap::read_file(st_.cache.absolute(item.path));
        if (!bytes) return bytes.error();
        uint64_t wire_size = to_wire(*bytes, st_.options.disarm_receipts).bytes.size();
        std::string id = ascii_only(item.header_message_id);
        auto uids = id.empty() ? conn_.session().uid_search_size_date(wire_size, item.received)
                               : conn_.session().uid_search_header("Message-ID", id);
        if (!uids) return uids.error();
        std::vector<uint32_t> open;
        for (uint32_t u : *uids)
            if (!claimed_.count(u)) open.push_back(u);
        if (open.empty()) return 0u;
        uint32_t match = 0;
        MF_TRY(conn_.session().uid_fetch(wrap::compress_uids(open), wrap::fetch_uid | wrap::fetch_size | wrap::fetch_internaldate,
                                         [&](const wrap::MessageAttributes& a) {
                                             if (!match && !claimed_.count(a.uid) && a.size == wire_size &&
                                                 a.internaldate == item.received)
                                                 match = a.uid;
                                         }));
        if (match) claimed_.insert(match);
        return match;
    }

    // First pass: messages never tried (or refused before); last pass: the
    // pending ones that the last look did not find on the target.
    Status append_all(bool pending_pass) {
        pending_pass_ = pending_pass;
        wrap::ImapAppender appender(conn_.session(), conn_.has_capability("LITERAL+"),
                                    st_.options.window_messages, st_.options.window_bytes);
        int64_t after = 0;
        for (;;) {
            if (st_.stopped()) return {};
            auto page = st_.ledger.to_replay(folder_id_, after, kPage);
            if (!page) return page.error();
            if (page->empty()) break;
            after = page->back().message_id;
            MF_TRY(send_page(appender, *page));
        }
        Status drained = appender.drain([&](const wrap::AppendReply& r) { on_reply(r); });
        MF_TRY(flush_done());
        return drained ? reply_error_ : worst(drained);
    }

    Status send_page(wrap::ImapAppender& appender, const std::vector<cache::LedgerItem>& page) {
        std::vector<std::pair<const cache::LedgerItem*, wrap::AppendCommand>> ready;
        std::vector<int64_t> pending;
        for (const auto& item : page) {
            if (failed_now_.count(item.message_id)) continue;  // refused in this run: not again
            if ((item.state == "pending") != pending_pass_) continue;
            if (pending_pass_ && !confirmed_missing_.count(item.message_id)) continue;  // not looked for yet
            auto bytes = wrap::read_file(st_.cache.absolute(item.path));
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
                MF_TRY(st_.ledger.mark_failed(item.message_id, "skipped", blocked));
                record(st_.totals.skipped, item, blocked);
                ++report_.skipped;
                continue;
            }
            if (!note.empty()) notes_[item.message_id] = note;
            wrap::AppendCommand c;
            c.token = static_cast<uint64_t>(item.message_id);
            c.mailbox = target_raw_;
            {
                std::lock_guard<std::mutex> l(st_.mutex);
                st_.totals.line_endings_repaired += wire.line_endings_repaired;
                st_.totals.nul_removed += wire.nul_removed;
                st_.totals.receipts_disarmed += wire.receipt_disarmed;
                c.flags = flags_for(Flags::from_imap(item.flags), st_.profile, keywords_ok_, st_.totals);
            }
            c.internaldate = item.received;
            c.literal = std::move(wire.bytes);
            pending.push_back(item.message_id);
            in_page_[item.message_id] = &item;
            ready.emplace_back(&item, std::move(c));
        }
        // Pending first, durably: a crash after the APPEND then finds the message by looking.
        MF_TRY(st_.ledger.mark_pending(pending, report_.target));
        for (auto& [item, command] : ready) {
            st_.limiter.acquire(command.literal.size());
            uint64_t size = command.literal.size();
            Status sent = appender.submit(std::move(command), [&](const wrap::AppendReply& r) { on_reply(r); });
            if (!sent) return worst(sent);
            sizes_[item->message_id] = size;
            if (!reply_error_.ok()) return reply_error_;
        }
        MF_TRY(flush_done());
        in_page_.clear();
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

    // A throttling reply is usually followed by BYE and a closed line: the
    // reply, which says how long to wait, is the error that counts.
    Status worst(const Status& connection_error) {
        (void)flush_done();
        return reply_error_.ok() ? connection_error : reply_error_;
    }

    void record(std::vector<SkippedMessage>& list, const cache::LedgerItem& item, const std::string& why) {
        std::lock_guard<std::mutex> l(st_.mutex);
        list.push_back({report_.source, "message " + std::to_string(item.message_id), why});
    }

    void on_reply(const wrap::AppendReply& r) {
        auto id = static_cast<int64_t>(r.token);
        if (r.status == "OK") {
            done_.push_back({id, r.uidvalidity ? r.uidvalidity : uidvalidity_, r.uid, notes_[id]});
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
            return;
        }
        case net::ReplyClass::quota: {
            Error e = make_error(ErrorKind::quota, Radius::fatal, "the target mailbox is full");
            e.server_text = text;
            st_.stop(e);
            return;
        }
        case net::ReplyClass::too_big:
            (void)st_.ledger.mark_failed(id, "skipped", text);
            failed_now_.insert(id);
            ++report_.skipped;
            note_refusal(st_.totals.skipped, id, text);
            return;
        case net::ReplyClass::rejected:
        case net::ReplyClass::ok:
            (void)st_.ledger.mark_failed(id, "failed", text);
            failed_now_.insert(id);
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
        MF_TRY(st_.ledger.mark_done(done_, report_.target));
        done_.clear();
        return {};
    }

    // office365: \Flagged set on APPEND is later forgotten, so it is stored after.
    Status store_flagged() {
        if (!st_.profile.flagged_after_append) return {};
        auto rows = st_.ledger.done_uids(report_.target, "\\Flagged");
        if (!rows) return rows.error();
        std::vector<uint32_t> uids;
        for (const auto& [v, u] : *rows)
            if (v == uidvalidity_) uids.push_back(u);
        MF_TRY(conn_.session().uid_add_flagged(wrap::compress_uids(uids)));
        std::lock_guard<std::mutex> l(st_.mutex);
        st_.totals.flagged_stored += uids.size();
        return {};
    }

    bool final_sweep_;
    RunState& st_;
    net::ImapConnection& conn_;
    ReplayFolderReport& report_;
    int64_t folder_id_;
    std::string target_raw_;
    uint32_t uidvalidity_ = 0;
    bool keywords_ok_ = false;
    uint64_t progress_made_ = 0;
    std::vector<cache::AppendedAt> done_;
    std::map<int64_t, uint64_t> sizes_;
    std::map<int64_t, std::string> notes_;  // repairs made to the bytes sent, per message
    std::map<int64_t, const cache::LedgerItem*> in_page_;
    std::set<int64_t> failed_now_;
    std::set<uint32_t> claimed_;  // target UIDs the ledger already gives to a message
    bool pending_pass_ = false;
    std::set<int64_t> confirmed_missing_;  // pending, looked for at the last look, not there
    Status reply_error_;
};

bool ends_run(const Error& e) {
    return e.kind == ErrorKind::auth || e.kind == ErrorKind::tls || e.kind == ErrorKind::io ||
           e.kind == ErrorKind::quota || e.kind == ErrorKind::internal || e.radius == Radius::fatal;
}

// How long to wait before the next attempt: at least what the server asked for.
std::chrono::milliseconds backoff(const Error& e, int attempt, std::mt19937& rng) {
    uint64_t base = 500ull << std::min(attempt, 6);
    std::uniform_int_distribution<uint64_t> jitter(0, base / 2);
    uint64_t ms = base + jitter(rng);
    if (auto asked = net::TargetProfile::suggested_backoff_ms(e.server_text)) ms = std::max(ms, *asked + 50);
    return std::chrono::milliseconds(ms);
}

// After attempts without progress: some texts mean the whole account is stuck
// (office365.md, "Throttling and errors"), the others only this folder.
void give_up(RunState& st, size_t index, const Error& e, int attempts) {
    std::string text = e.server_text;
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string why = "gave up after " + std::to_string(attempts) + " attempts without progress";
    if (text.find("server unavailable") != std::string::npos) {
        Error q = make_error(ErrorKind::quota, Radius::fatal,
                             why + ": the server keeps answering 'Server Unavailable', which on Exchange Online "
                                   "usually means the mailbox is full");
        q.server_text = e.server_text;
        st.stop(q);
        return;
    }
    if (text.find("authenticated but not connected") != std::string::npos) {
        Error a = make_error(ErrorKind::auth, Radius::fatal,
                             why + ": the login works but the mailbox cannot be opened: check the FullAccess "
                                   "permission and the service principal, or use fewer connections");
        a.server_text = e.server_text;
        st.stop(a);
        return;
    }
    st.reports[index].error = why + ": " + e.describe();
}

void replay_one(RunState& st, std::unique_ptr<net::ImapConnection>& conn, size_t index, std::mt19937& rng,
                bool final_sweep = false) {
    int stalled = 0;
    for (int attempt = 0;; ++attempt) {
        if (st.stopped()) return;
        if (!conn) {
            auto opened = st.open_target();
            if (!opened) {
                if (ends_run(opened.error()) || ++stalled > st.options.max_stalled_reconnects) {
                    st.stop(opened.error());
                    return;
                }
                std::this_thread::sleep_for(backoff(opened.error(), attempt, rng));
                continue;
            }
            conn = std::move(*opened);
        }
        FolderReplayer folder(st, *conn, index, final_sweep);
        Status s = folder.run();
        if (s) return;
        Error e = s.error();
        if (ends_run(e)) {
            e.in("folder " + st.reports[index].target);
            st.stop(e);
            return;
        }
        if (e.radius == Radius::folder) {
            e.context.clear();
            st.reports[index].error = e.describe();
            return;
        }
        stalled = folder.progress_made() ? 0 : stalled + 1;
        if (stalled > st.options.max_stalled_reconnects) {
            give_up(st, index, e, stalled);
            return;
        }
        {
            std::lock_guard<std::mutex> l(st.mutex);
            st.totals.reconnects += 1;
        }
        conn.reset();  // after a throttle, BYE or lost line: a new connection, after the pause
        std::this_thread::sleep_for(backoff(e, stalled, rng));
    }
}

void worker(RunState& st, std::unique_ptr<net::ImapConnection> conn, unsigned seed) {
    std::mt19937 rng(seed);
    for (;;) {
        size_t index;
        {
            std::lock_guard<std::mutex> l(st.mutex);
            if (st.fatal || st.queue.empty()) return;
            index = st.queue.front();
            st.queue.pop_front();
        }
        replay_one(st, conn, index, rng);
        st.progress.folders_done += 1;
    }
}

// Messages left pending by connections that died in this run are looked for
// once more, after the server has had time to finish what it was given.
void final_sweep(RunState& st) {
    auto counts = st.ledger.counts();
    if (st.stopped() || !counts || counts->pending == 0) return;
    std::unique_ptr<net::ImapConnection> conn;
    std::mt19937 rng(999);
    for (size_t i = 0; i < st.reports.size() && !st.stopped(); ++i) replay_one(st, conn, i, rng, true);
}

Result<std::vector<PlannedFolder>> make_plan(cache::Cache& cache, net::ImapConnection& conn, const ReplayOptions& o,
                                             std::vector<int64_t>& folder_ids) {
    auto listed = conn.session().list("*", false);
    if (!listed) return listed.error();
    std::vector<PlanTarget> targets;
    char delimiter = o.profile->separator;
    for (const auto& e : *listed) {
        if (e.delimiter) delimiter = e.delimiter;
        auto name = mutf7_decode(e.raw_name);
        targets.push_back({name ? *name : e.raw_name, net::special_use_role(e.attributes)});
    }
    auto folders = cache.folders();
    if (!folders) return folders.error();
    std::vector<PlanSource> sources;
    for (const auto& f : *folders)
        if (f.info.selectable) sources.push_back({f.id, f.info.name, f.info.delimiter, f.info.role});
    PlanOptions po{o.profile, delimiter, o.target_prefix, o.folder_map};
    auto plan = plan_folders(sources, targets, po);
    for (const auto& p : plan) folder_ids.push_back(p.source_id);
    return plan;
}

// The dry run's figures, and the progress bar's total.
Status measure(RunState& st, size_t index, bool inspect) {
    auto& r = st.reports[index];
    int64_t after = 0;
    for (;;) {
        auto page = st.ledger.to_replay(st.folder_ids[index], after, kPage);
        if (!page) return page.error();
        if (page->empty()) return {};
        for (const auto& item : *page) {
            after = item.message_id;
            r.to_send += 1;
            r.bytes_to_send += item.size;
            if (!inspect) continue;
            auto bytes = wrap::read_file(st.cache.absolute(item.path));
            if (!bytes) return bytes.error();
            auto f = inspect_message(*bytes, st.profile, st.size_limit);
            for (const auto& w : f.warnings()) st.totals.warnings[w] += 1;
            if (f.long_lines && st.options.repair_long_lines) {
                auto fixed = repair_long_lines(to_wire(*bytes, false).bytes, st.profile.max_line_length);
                if (fixed.failure.empty()) {
                    f.long_lines = false;
                    st.totals.long_lines_repaired += 1;
                }
            }
            std::string blocked = f.blocking_reason(st.profile, bytes->size(), st.size_limit);
            if (!blocked.empty()) st.totals.skipped.push_back({r.source, "message " + std::to_string(item.message_id), blocked});
            (void)flags_for(Flags::from_imap(item.flags), st.profile, st.profile.keywords_allowed, st.totals);
            WireMessage w = to_wire(*bytes, st.options.disarm_receipts);
            st.totals.line_endings_repaired += w.line_endings_repaired;
            st.totals.nul_removed += w.nul_removed;
            st.totals.receipts_disarmed += w.receipt_disarmed;
        }
    }
}

}  // namespace

Result<ReplayReport> run_replay(cache::Cache& cache, std::unique_ptr<net::ImapConnection> first,
                                const TargetFactory& open_target, const ReplayOptions& o, ReplayProgress& progress) {
    auto started = Clock::now();
    auto ledger = cache::Ledger::for_target(cache, o.target_url, o.profile->name);
    if (!ledger) return ledger.error();
    uint64_t limit = o.max_message_size ? o.max_message_size : o.profile->max_message_size;
    RunState st{cache, *ledger, open_target, o, *o.profile, limit, progress,
                RateLimiter(o.max_messages_per_second, o.max_bytes_per_second), {}, {}, {}, {}, {}, {}};
    auto plan = make_plan(cache, *first, o, st.folder_ids);
    if (!plan) return plan.error();
    for (size_t i = 0; i < plan->size(); ++i) {
        const auto& p = (*plan)[i];
        ReplayFolderReport r;
        r.source = p.source_name;
        r.target = p.target_name;
        r.rule = p.rule;
        r.notes = p.notes;
        st.reports.push_back(std::move(r));
    }
    auto run_id = cache.begin_run(o.dry_run ? "replay --dry-run" : "replay", std::nullopt);
    if (!run_id) return run_id.error();
    for (size_t i = 0; i < st.reports.size(); ++i) {
        MF_TRY(measure(st, i, o.dry_run));
        progress.messages_planned += st.reports[i].to_send;
        progress.bytes_planned += st.reports[i].bytes_to_send;
        st.queue.push_back(i);
    }
    progress.folders_total = st.queue.size();
    if (!o.dry_run) {
        int n = o.connections > 0 ? o.connections : o.profile->default_connections;
        n = std::max(1, std::min<int>(n, static_cast<int>(st.queue.size())));
        std::vector<std::thread> threads;
        for (int i = 1; i < n; ++i) threads.emplace_back(worker, std::ref(st), nullptr, 1000u + static_cast<unsigned>(i));
        worker(st, std::move(first), 1000u);
        for (auto& t : threads) t.join();
        final_sweep(st);
    }
    ReplayReport report = std::move(st.totals);
    report.dry_run = o.dry_run;
    report.folders = std::move(st.reports);
    for (const auto& f : report.folders) {
        report.appended += f.appended;
        report.bytes += f.bytes;
        report.resolved += f.resolved;
    }
    report.fatal = st.fatal;
    report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    (void)cache.end_run(*run_id, report.ok(), "");
    return report;
}

}  // namespace mailferry::pipeline
