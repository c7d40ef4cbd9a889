#include "cache/text_index.hpp"

#include <mutex>

#include "mailferry/failpoint.hpp"
#include "mime/text_extract.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::cache {
namespace {

using Lock = std::lock_guard<std::mutex>;
constexpr int kBatch = 2000;

struct Pending {
    int64_t id;
    std::string path;
};

struct Row {
    int64_t id;
    mime::ExtractedText text;
};

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : "\n") + n;
    return out;
}

Result<std::vector<Pending>> next_batch(Cache& cache, int64_t after) {
    Lock l(cache.index_mutex());
    auto st = cache.index().prepare(
        "SELECT id, path FROM messages WHERE text_state = 0 AND id > ? ORDER BY id LIMIT ?");
    if (!st) return st.error();
    st->bind(1, after).bind(2, int64_t{kBatch});
    std::vector<Pending> out;
    MF_TRY(st->each([&] { out.push_back({st->int64(0), st->text(1)}); }));
    return out;
}

// One transaction per batch: its rows in the index and their state, together.
Status store(Cache& cache, const std::vector<Row>& rows) {
    Lock l(cache.index_mutex());
    auto& db = cache.index();
    auto tx = wrap::Transaction::begin(db);
    if (!tx) return tx.error();
    auto ins = db.prepare(
        "INSERT OR REPLACE INTO message_text(rowid, subject, sender, recipients, body, attachments) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    auto mark = db.prepare("UPDATE messages SET text_state = ? WHERE id = ?");
    if (!ins) return ins.error();
    if (!mark) return mark.error();
    for (const auto& r : rows) {
        const auto& t = r.text;
        std::string recipients = t.to + (t.cc.empty() ? "" : ", " + t.cc);
        MF_TRY(ins->bind(1, r.id).bind(2, t.subject).bind(3, t.from).bind(4, recipients).bind(5, t.body)
                   .bind(6, joined(t.attachment_names)).run());
        MF_TRY(mark->bind(1, int64_t{t.parsed ? 1 : 2}).bind(2, r.id).run());
    }
    return tx->commit();
}

Status clear(Cache& cache) {
    Lock l(cache.index_mutex());
    auto& db = cache.index();
    auto tx = wrap::Transaction::begin(db);
    if (!tx) return tx.error();
    MF_TRY(db.exec("DELETE FROM message_text; UPDATE messages SET text_state = 0;"));
    return tx->commit();
}

std::string like_pattern(const std::string& imap_pattern) {
    std::string out;
    for (char c : imap_pattern) {
        if (c == '*' || c == '%') out += '%';
        else if (c == '_' || c == '\\') out += std::string("\\") + c;
        else out += c;
    }
    return out;
}

}  // namespace

// The index can always be rebuilt from the message files, and its rows and
// their text_state commit together: a power cut may lose the last batches,
// never make them disagree. So its transactions need not wait for the disk.
class RelaxedSync {
public:
    explicit RelaxedSync(Cache& cache) : cache_(cache) { set("NORMAL"); }
    ~RelaxedSync() { set("FULL"); }

private:
    void set(const char* mode) {
        Lock l(cache_.index_mutex());
        (void)cache_.index().exec(std::string("PRAGMA synchronous = ") + mode);
    }
    Cache& cache_;
};

Result<TextIndexReport> index_text(Cache& cache, bool rebuild, TextIndexProgress& progress) {
    RelaxedSync relaxed(cache);
    if (rebuild) MF_TRY(clear(cache));
    {
        Lock l(cache.index_mutex());
        auto st = cache.index().prepare("SELECT count(*) FROM messages WHERE text_state = 0");
        if (!st) return st.error();
        if (auto r = st->step(); !r) return r.error();
        progress.total = static_cast<uint64_t>(st->int64(0));
    }
    TextIndexReport report;
    int64_t after = 0;
    for (;;) {
        auto batch = next_batch(cache, after);
        if (!batch) return batch.error();
        if (batch->empty()) break;
        std::vector<Row> rows;
        rows.reserve(batch->size());
        for (const auto& p : *batch) {
            after = p.id;
            progress.done += 1;
            auto bytes = wrap::read_file(cache.absolute(p.path));
            if (!bytes) {  // left for verify and the next run; the index goes on
                ++report.unreadable;
                continue;
            }
            rows.push_back({p.id, mime::extract_text(*bytes)});
            if (!rows.back().text.parsed) ++report.unparsed;
        }
        MF_TRY(store(cache, rows));
        failpoint("text.committed");
        report.indexed += rows.size();
    }
    return report;
}

Result<std::vector<SearchHit>> search(Cache& cache, const SearchQuery& q) {
    Lock l(cache.index_mutex());
    // Decoded From and Subject from the text index when the message is in it.
    std::string sql =
        "SELECT m.id, m.received_at, f.name, coalesce(message_text.sender, m.from_header), "
        "coalesce(message_text.subject, m.subject), " +
        std::string(q.match.empty() ? "''" : "snippet(message_text, 3, '[', ']', '...', 12)") +
        " FROM messages m JOIN folders f ON f.id = m.folder_id " + (q.match.empty() ? "LEFT " : "") +
        "JOIN message_text ON message_text.rowid = m.id WHERE 1";
    if (!q.match.empty()) sql += " AND message_text MATCH :match";
    if (!q.folder.empty()) sql += " AND f.name LIKE :folder ESCAPE '\\'";
    if (!q.from.empty()) sql += " AND instr(lower(m.from_header), lower(:from)) > 0";
    if (q.since) sql += " AND m.received_at >= :since";
    if (q.before) sql += " AND m.received_at < :before";
    sql += q.match.empty() ? " ORDER BY m.received_at DESC" : " ORDER BY message_text.rank";
    sql += " LIMIT :limit";
    auto st = cache.index().prepare(sql);
    if (!st) return st.error();
    auto bind = [&](const char* name, auto value) {
        int i = st->parameter_index(name);
        if (i > 0) st->bind(i, value);
    };
    bind(":match", q.match);
    bind(":folder", like_pattern(q.folder));
    bind(":from", q.from);
    if (q.since) bind(":since", *q.since);
    if (q.before) bind(":before", *q.before);
    bind(":limit", int64_t{q.limit});
    std::vector<SearchHit> hits;
    Status s = st->each([&] {
        std::string snippet = st->text(5);
        for (char& c : snippet)
            if (c == '\n' || c == '\r' || c == '\t') c = ' ';
        hits.push_back({st->int64(0), st->int64(1), st->text(2), st->text(3), st->text(4), std::move(snippet)});
    });
    if (!s) {
        Error e = s.error();
        if (!q.match.empty() && e.message.find("fts5") != std::string::npos) {
            e.kind = ErrorKind::usage;
            e.message = "cannot read the query '" + q.match + "': " + e.message;
        }
        return e;
    }
    return hits;
}

}  // namespace mailferry::cache
