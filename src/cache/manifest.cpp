#include "cache/manifest.hpp"

#include <mutex>

namespace mailferry::cache {

using Lock = std::lock_guard<std::mutex>;

Status for_each_manifest_row(Cache& cache, const std::optional<std::string>& target,
                             const std::function<void(const ManifestRow&)>& on_row) {
    Lock l(cache.index_mutex());
    auto st = cache.index().prepare(
        "SELECT m.id, s.kind, s.server, s.account, f.raw_name, f.name, m.uidvalidity, m.uid, "
        "coalesce(m.source_key, ''), m.sha256, m.size, m.received_at, m.received_from, m.flags, m.message_id, "
        "m.gone, m.path, coalesce(t.url, ''), coalesce(g.state, ''), coalesce(g.target_folder, ''), "
        "coalesce(g.last_text, ''), g.target_uidvalidity, g.target_uid, coalesce(g.attempts, 0) "
        "FROM messages m JOIN folders f ON f.id = m.folder_id JOIN sources s ON s.id = f.source_id "
        "LEFT JOIN (ledger g JOIN targets t ON t.id = g.target_id AND (?1 IS NULL OR t.url = ?1)) "
        "ON g.message_id = m.id ORDER BY m.id, t.url");
    if (!st) return st.error();
    if (target) st->bind(1, *target);
    else st->bind_null(1);
    ManifestRow r;
    return st->each([&] {
        r.message_id = st->int64(0);
        r.source_kind = st->text(1);
        r.source_server = st->text(2);
        r.source_account = st->text(3);
        r.folder_raw = st->text(4);
        r.folder = st->text(5);
        r.uidvalidity = static_cast<uint32_t>(st->int64(6));
        r.uid = static_cast<uint32_t>(st->int64(7));
        r.source_key = st->text(8);
        r.sha256 = st->text(9);
        r.size = static_cast<uint64_t>(st->int64(10));
        r.received = st->int64(11);
        r.received_from = st->text(12);
        r.flags = st->text(13);
        r.header_message_id = st->text(14);
        r.gone = st->int64(15) != 0;
        r.path = st->text(16);
        r.target = st->text(17);
        r.state = st->text(18);
        r.target_folder = st->text(19);
        r.last_text = st->text(20);
        r.target_uidvalidity = st->is_null(21) ? std::nullopt : std::optional<int64_t>(st->int64(21));
        r.target_uid = st->is_null(22) ? std::nullopt : std::optional<int64_t>(st->int64(22));
        r.attempts = static_cast<int>(st->int64(23));
        on_row(r);
    });
}

Result<bool> has_target(Cache& cache, const std::string& target) {
    Lock l(cache.index_mutex());
    auto st = cache.index().query("SELECT 1 FROM targets WHERE url = ?", target);
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return row.error();
    return *row;
}

}  // namespace mailferry::cache
