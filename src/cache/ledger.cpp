#include "cache/ledger.hpp"

#include "core/clock.hpp"

namespace mailferry::cache {
namespace {

using Lock = std::lock_guard<std::mutex>;

Result<LedgerCounts> count_rows(wrap::Database& db, int64_t target_id) {
    LedgerCounts c;
    auto st = db.query("SELECT state, count(*) FROM ledger WHERE target_id = ? GROUP BY state", target_id);
    if (!st) return st.error();
    MF_TRY(st->each([&] {
        int64_t n = st->int64(1);
        switch (parse_ledger_state(st->text(0))) {
            case LedgerState::done: c.done = n; break;
            case LedgerState::pending: c.pending = n; break;
            case LedgerState::skipped: c.skipped = n; break;
            default: c.failed += n; break;
        }
    }));
    auto total = db.prepare("SELECT count(*) FROM messages");
    if (!total) return total.error();
    if (auto r = total->step(); !r) return r.error();
    c.not_started = total->int64(0) - c.done - c.pending - c.skipped - c.failed;
    return c;
}

}  // namespace

const char* ledger_state_name(LedgerState state) {
    switch (state) {
        case LedgerState::not_started: return "";
        case LedgerState::pending: return "pending";
        case LedgerState::done: return "done";
        case LedgerState::failed: return "failed";
        case LedgerState::skipped: return "skipped";
    }
    return "failed";  // unreachable: every state is named above
}

LedgerState parse_ledger_state(std::string_view name) {
    if (name.empty()) return LedgerState::not_started;
    for (LedgerState s : {LedgerState::pending, LedgerState::done, LedgerState::failed, LedgerState::skipped})
        if (name == ledger_state_name(s)) return s;
    return LedgerState::failed;
}

Result<Ledger> Ledger::for_target(Cache& cache, const std::string& url, const std::string& profile) {
    Lock l(cache.index_mutex());
    auto& db = cache.index();
    MF_TRY(db.execute("INSERT OR IGNORE INTO targets(url, profile, created_at) VALUES (?, ?, ?)",
        url, profile, now_epoch()));
    auto sel = db.query("SELECT id FROM targets WHERE url = ?", url);
    if (!sel) return sel.error();
    if (auto r = sel->step(); !r) return r.error();
    return Ledger(cache, sel->int64(0));
}

Result<std::optional<Ledger>> Ledger::existing(Cache& cache, const std::string& url) {
    Lock l(cache.index_mutex());
    auto sel = cache.index().query("SELECT id FROM targets WHERE url = ?", url);
    if (!sel) return sel.error();
    auto row = sel->step();
    if (!row) return row.error();
    if (!*row) return std::optional<Ledger>();
    return std::optional<Ledger>(Ledger(cache, sel->int64(0)));
}

Result<Ledger> Ledger::for_target_read_only(Cache& cache, const std::string& url) {
    auto known = existing(cache, url);
    if (!known) return known.error();
    if (*known) return **known;
    return Ledger(cache, 0);  // ids start at 1: no ledger row has target 0
}

Result<std::vector<PlacedMessage>> Ledger::placed() {
    Lock l(cache_->index_mutex());
    auto st = cache_->index().query(
        "SELECT m.id, f.name, m.subject, m.message_id, m.size, g.target_folder, coalesce(g.target_uidvalidity, 0), "
        "coalesce(g.target_uid, 0) FROM ledger g JOIN messages m ON m.id = g.message_id "
        "JOIN folders f ON f.id = m.folder_id WHERE g.target_id = ? AND g.state = 'done' "
        "ORDER BY g.target_folder, g.target_uid", target_id_);
    if (!st) return st.error();
    std::vector<PlacedMessage> out;
    MF_TRY(st->each([&] {
        PlacedMessage p;
        p.message_id = st->int64(0);
        p.folder = st->text(1);
        p.subject = st->text(2);
        p.header_message_id = st->text(3);
        p.size = static_cast<uint64_t>(st->int64(4));
        p.target_folder = st->text(5);
        p.target_uidvalidity = static_cast<uint32_t>(st->int64(6));
        p.target_uid = static_cast<uint32_t>(st->int64(7));
        out.push_back(std::move(p));
    }));
    return out;
}

Result<std::vector<LedgerItem>> Ledger::to_replay(int64_t folder_id, int64_t after_id, int limit) {
    Lock l(cache_->index_mutex());
    auto st = cache_->index().query(
        "SELECT m.id, m.path, m.size, m.received_at, m.flags, m.message_id, coalesce(g.state, ''), "
        "coalesce(g.attempts, 0), coalesce(g.updated_at, 0), m.subject, m.compressed FROM messages m LEFT JOIN ledger g ON g.message_id = m.id AND g.target_id = ? "
        "WHERE m.folder_id = ? AND m.id > ? AND (g.state IS NULL OR g.state IN ('pending', 'failed')) "
        "ORDER BY m.id LIMIT ?", target_id_, folder_id, after_id, limit);
    if (!st) return st.error();
    std::vector<LedgerItem> out;
    MF_TRY(st->each([&] {
        out.push_back({st->int64(0), st->text(1), static_cast<uint64_t>(st->int64(2)), st->int64(3), st->text(4),
                       st->text(5), parse_ledger_state(st->text(6)), static_cast<int>(st->int64(7)), st->int64(8), st->text(9),
                       st->int64(10) != 0});
    }));
    return out;
}

Status Ledger::mark_pending(const std::vector<int64_t>& ids, const std::string& target_folder) {
    if (ids.empty()) return {};
    Lock l(cache_->index_mutex());
    auto& db = cache_->index();
    auto tx = wrap::Transaction::begin(db);
    if (!tx) return tx.error();
    auto st = db.prepare(
        "INSERT INTO ledger(message_id, target_id, state, target_folder, attempts, updated_at) "
        "VALUES (?, ?, 'pending', ?, 1, ?) ON CONFLICT(message_id, target_id) DO UPDATE SET "
        "state = 'pending', target_folder = excluded.target_folder, attempts = attempts + 1, "
        "updated_at = excluded.updated_at");
    if (!st) return st.error();
    int64_t now = now_epoch();
    for (int64_t id : ids) MF_TRY(st->bind_all(id, target_id_, target_folder, now).run());
    return tx->commit();
}

Status Ledger::mark_done(const std::vector<AppendedAt>& done, const std::string& target_folder) {
    if (done.empty()) return {};
    Lock l(cache_->index_mutex());
    auto& db = cache_->index();
    auto tx = wrap::Transaction::begin(db);
    if (!tx) return tx.error();
    auto st = db.prepare(
        "INSERT INTO ledger(message_id, target_id, state, target_folder, target_uidvalidity, target_uid, "
        "attempts, last_text, updated_at, sent_flags) VALUES (?1, ?2, 'done', ?3, ?4, ?5, 1, ?6, ?7, "
        "coalesce(?8, (SELECT flags FROM messages WHERE id = ?1))) "
        "ON CONFLICT(message_id, target_id) DO UPDATE SET state = 'done', target_folder = excluded.target_folder, "
        "target_uidvalidity = excluded.target_uidvalidity, target_uid = excluded.target_uid, "
        "last_text = excluded.last_text, sent_flags = excluded.sent_flags, "
        "updated_at = excluded.updated_at");
    if (!st) return st.error();
    int64_t now = now_epoch();
    for (const auto& d : done) {
        st->bind_all(d.message_id, target_id_, target_folder);
        st->bind(4, d.uid ? std::optional<int64_t>(d.uidvalidity) : std::nullopt);
        st->bind(5, d.uid ? std::optional<int64_t>(d.uid) : std::nullopt);
        if (d.note.empty()) st->bind_null(6);
        else st->bind(6, d.note);
        st->bind(7, now);
        if (d.sent_flags) st->bind(8, *d.sent_flags);
        else st->bind_null(8);
        MF_TRY(st->run());
    }
    return tx->commit();
}

Status Ledger::mark_failed(int64_t message_id, const std::string& text) {
    return mark_unsent(message_id, LedgerState::failed, text);
}

Status Ledger::mark_skipped(int64_t message_id, const std::string& text) {
    return mark_unsent(message_id, LedgerState::skipped, text);
}

Status Ledger::mark_unsent(int64_t message_id, LedgerState state, const std::string& text) {
    Lock l(cache_->index_mutex());
    return cache_->index().execute(
        "INSERT INTO ledger(message_id, target_id, state, attempts, last_text, updated_at) VALUES (?, ?, ?, 1, ?, ?) "
        "ON CONFLICT(message_id, target_id) DO UPDATE SET state = excluded.state, last_text = excluded.last_text, "
        "updated_at = excluded.updated_at", message_id, target_id_, std::string(ledger_state_name(state)), text, now_epoch());
}

Result<LedgerCounts> Ledger::counts() {
    Lock l(cache_->index_mutex());
    return count_rows(cache_->index(), target_id_);
}

Result<std::vector<LedgerFailure>> Ledger::failures() {
    Lock l(cache_->index_mutex());
    auto st = cache_->index().query(
        "SELECT f.name, m.subject, g.state, coalesce(g.last_text, ''), coalesce(g.target_folder, ''), m.id, g.attempts "
        "FROM ledger g JOIN messages m ON m.id = g.message_id JOIN folders f ON f.id = m.folder_id "
        "WHERE g.target_id = ? AND g.state IN ('failed', 'skipped', 'pending') ORDER BY f.name, m.id", target_id_);
    if (!st) return st.error();
    std::vector<LedgerFailure> out;
    MF_TRY(st->each([&] {
        out.push_back({st->text(0), st->text(1), parse_ledger_state(st->text(2)), st->text(3), st->text(4),
                       st->int64(5), static_cast<int>(st->int64(6))});
    }));
    return out;
}

Result<std::vector<std::pair<uint32_t, uint32_t>>> Ledger::done_uids(const std::string& target_folder) {
    Lock l(cache_->index_mutex());
    auto st = cache_->index().query(
        "SELECT target_uidvalidity, target_uid FROM ledger "
        "WHERE target_id = ? AND state = 'done' AND target_folder = ? AND target_uid IS NOT NULL "
        "ORDER BY target_uid", target_id_, target_folder);
    if (!st) return st.error();
    std::vector<std::pair<uint32_t, uint32_t>> out;
    MF_TRY(st->each([&] {
        out.emplace_back(static_cast<uint32_t>(st->int64(0)), static_cast<uint32_t>(st->int64(1)));
    }));
    return out;
}

Result<std::vector<FlagDrift>> Ledger::flag_drift(const std::string& target_folder, uint32_t uidvalidity) {
    Lock l(cache_->index_mutex());
    auto st = cache_->index().query(
        "SELECT g.message_id, g.target_uid, m.flags, coalesce(g.sent_flags, '') FROM ledger g "
        "JOIN messages m ON m.id = g.message_id WHERE g.target_id = ? AND g.state = 'done' "
        "AND g.target_folder = ? AND g.target_uidvalidity = ? AND g.target_uid IS NOT NULL "
        "AND g.sent_flags IS NOT m.flags ORDER BY g.target_uid",
        target_id_, target_folder, int64_t{uidvalidity});
    if (!st) return st.error();
    std::vector<FlagDrift> out;
    MF_TRY(st->each([&] {
        out.push_back({st->int64(0), static_cast<uint32_t>(st->int64(1)), st->text(2), st->text(3)});
    }));
    return out;
}

Status Ledger::mark_flags_sent(const std::vector<FlagDrift>& carried) {
    if (carried.empty()) return {};
    Lock l(cache_->index_mutex());
    auto& db = cache_->index();
    auto tx = wrap::Transaction::begin(db);
    if (!tx) return tx.error();
    auto st = db.prepare("UPDATE ledger SET sent_flags = ?, updated_at = ? WHERE message_id = ? AND target_id = ?");
    if (!st) return st.error();
    const int64_t now = now_epoch();
    for (const auto& d : carried) MF_TRY(st->bind_all(d.flags, now, d.message_id, target_id_).run());
    return tx->commit();
}

Result<std::vector<std::pair<int64_t, uint32_t>>> Ledger::deletions_due(const std::string& target_folder,
                                                                         uint32_t uidvalidity) {
    Lock l(cache_->index_mutex());
    auto st = cache_->index().query(
        "SELECT g.message_id, g.target_uid FROM ledger g JOIN messages m ON m.id = g.message_id "
        "WHERE g.target_id = ? AND g.state = 'done' AND g.target_folder = ? AND g.target_uidvalidity = ? "
        "AND g.target_uid IS NOT NULL AND g.deleted_at IS NULL AND m.gone = 1 ORDER BY g.target_uid",
        target_id_, target_folder, int64_t{uidvalidity});
    if (!st) return st.error();
    std::vector<std::pair<int64_t, uint32_t>> out;
    MF_TRY(st->each([&] { out.emplace_back(st->int64(0), static_cast<uint32_t>(st->int64(1))); }));
    return out;
}

Result<std::set<std::string>> Ledger::folders_with_sent_work(bool deletions) {
    Lock l(cache_->index_mutex());
    auto st = cache_->index().query(
        "SELECT DISTINCT g.target_folder FROM ledger g JOIN messages m ON m.id = g.message_id "
        "WHERE g.target_id = ? AND g.state = 'done' AND g.target_uid IS NOT NULL AND g.deleted_at IS NULL "
        "AND (g.sent_flags IS NOT m.flags OR (? AND m.gone = 1))",
        target_id_, int64_t{deletions});
    if (!st) return st.error();
    std::set<std::string> out;
    MF_TRY(st->each([&] { out.insert(st->text(0)); }));
    return out;
}

Status Ledger::mark_deleted(const std::vector<int64_t>& message_ids) {
    if (message_ids.empty()) return {};
    Lock l(cache_->index_mutex());
    auto& db = cache_->index();
    auto tx = wrap::Transaction::begin(db);
    if (!tx) return tx.error();
    auto st = db.prepare("UPDATE ledger SET deleted_at = ?, updated_at = ? WHERE message_id = ? AND target_id = ?");
    if (!st) return st.error();
    const int64_t now = now_epoch();
    for (int64_t id : message_ids) MF_TRY(st->bind_all(now, now, id, target_id_).run());
    return tx->commit();
}

Result<uint64_t> Ledger::skip_gone_unsent(int64_t folder_id, const std::string& target_folder,
                                          const std::string& reason) {
    Lock l(cache_->index_mutex());
    auto& db = cache_->index();
    MF_TRY(db.execute(
        "INSERT INTO ledger(message_id, target_id, state, target_folder, attempts, last_text, updated_at) "
        "SELECT m.id, ?1, 'skipped', ?2, 0, ?3, ?4 FROM messages m "
        "LEFT JOIN ledger g ON g.message_id = m.id AND g.target_id = ?1 "
        "WHERE m.folder_id = ?5 AND m.gone = 1 AND (g.state IS NULL OR g.state = 'failed') "
        "ON CONFLICT(message_id, target_id) DO UPDATE SET state = 'skipped', last_text = excluded.last_text, "
        "updated_at = excluded.updated_at",
        target_id_, target_folder, reason, now_epoch(), folder_id));
    return static_cast<uint64_t>(db.changes());
}

Result<std::vector<TargetSummary>> target_summaries(Cache& cache) {
    Lock l(cache.index_mutex());
    auto& db = cache.index();
    auto st = db.prepare("SELECT id, url, profile FROM targets ORDER BY id");
    if (!st) return st.error();
    std::vector<std::pair<int64_t, TargetSummary>> rows;
    MF_TRY(st->each([&] {
        rows.push_back({st->int64(0), {st->text(1), st->text(2), {}}});
    }));
    std::vector<TargetSummary> out;
    for (auto& [id, t] : rows) {
        auto c = count_rows(db, id);
        if (!c) return c.error();
        t.counts = *c;
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace mailferry::cache
