#include "cache/text_index.hpp"

#include <future>
#include <mutex>

#include "cache/search_snippet.hpp"
#include "mime/text_extract.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::cache {
namespace {

using Lock = std::lock_guard<std::mutex>;
// A batch is one transaction of the index; its messages' text is in memory
// at once, twice over while the next batch is extracted.
constexpr int kBatchMessages = 2000;
constexpr int64_t kBatchBytes = 32 * 1024 * 1024;

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
        "SELECT id, path, size FROM messages WHERE text_state = 0 AND id > ? ORDER BY id LIMIT ?");
    if (!st) return st.error();
    st->bind(1, after).bind(2, int64_t{kBatchMessages});
    std::vector<Pending> out;
    int64_t bytes = 0;
    MF_TRY(st->each([&] {
        if (bytes >= kBatchBytes) return;  // the rest waits for the next batch
        out.push_back({st->int64(0), st->text(1)});
        bytes += st->int64(2);
    }));
    return out;
}

struct Extracted {
    std::vector<Row> rows;
    uint64_t unreadable = 0;
};

Extracted extract(Cache& cache, const std::vector<Pending>& batch, TextIndexProgress& progress) {
    Extracted out;
    out.rows.reserve(batch.size());
    for (const auto& p : batch) {
        progress.done += 1;
        auto bytes = wrap::read_file(cache.absolute(p.path));
        if (!bytes) {  // left for verify and the next run; the index goes on
            ++out.unreadable;
            continue;
        }
        out.rows.push_back({p.id, mime::extract_text(*bytes)});
    }
    return out;
}

// One transaction per batch: its rows in the index and their state, together.
Status store(Cache& cache, const std::vector<Row>& rows) {
    Lock l(cache.index_mutex());
    auto& db = cache.index();
    auto tx = wrap::Transaction::begin(db);
    if (!tx) return tx.error();
    auto ins = db.prepare(
        "INSERT INTO message_text(rowid, subject, sender, recipients, body, attachments) "
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
    MF_TRY(db.exec("INSERT INTO message_text(message_text) VALUES ('delete-all');"
                   "UPDATE messages SET text_state = 0;"));
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
    // Two stages: a thread extracts the text of the next batch while this
    // one stores the current batch (SQLite's FTS5 tokenizer is the larger part).
    TextIndexReport report;
    int64_t after = 0;
    auto start_next = [&]() -> Result<std::future<Extracted>> {
        auto batch = next_batch(cache, after);
        if (!batch) return batch.error();
        if (!batch->empty()) after = batch->back().id;
        return std::async(std::launch::async, [&cache, &progress, b = std::move(*batch)] {
            return extract(cache, b, progress);
        });
    };
    auto next = start_next();
    if (!next) return next.error();
    for (;;) {
        Extracted current = next->get();
        if (current.rows.empty() && current.unreadable == 0) break;
        next = start_next();
        if (!next) return next.error();
        report.unreadable += current.unreadable;
        for (const auto& r : current.rows)
            if (!r.text.parsed) ++report.unparsed;
        if (Status s = store(cache, current.rows); !s) {
            next->wait();
            return s.error();
        }
        report.indexed += current.rows.size();
    }
    return report;
}

namespace {

struct Match {
    SearchHit hit;
    std::string path, raw_from, raw_subject;
};

Result<std::vector<Match>> find_matches(Cache& cache, const SearchQuery& q) {
    Lock l(cache.index_mutex());
    std::string sql =
        "SELECT m.id, m.received_at, f.name, m.path, m.from_header, m.subject "
        "FROM messages m JOIN folders f ON f.id = m.folder_id";
    if (!q.match.empty()) sql += " JOIN message_text ON message_text.rowid = m.id";
    sql += " WHERE 1";
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
    std::vector<Match> out;
    Status s = st->each([&] {
        out.push_back({{st->int64(0), st->int64(1), st->text(2), "", "", ""}, st->text(3), st->text(4), st->text(5)});
    });
    if (!s) {
        Error e = s.error();
        if (!q.match.empty() && e.message.find("fts5") != std::string::npos) {
            e.kind = ErrorKind::usage;
            e.message = "cannot read the query '" + q.match + "': " + e.message;
        }
        return e;
    }
    return out;
}

}  // namespace

Result<std::vector<SearchHit>> search(Cache& cache, const SearchQuery& q) {
    auto matches = find_matches(cache, q);
    if (!matches) return matches.error();
    // The decoded From, Subject and a snippet come from the message file
    // itself (the index keeps no text): a few hits, read after the query.
    auto words = query_words(q.match);
    std::vector<SearchHit> hits;
    for (auto& m : *matches) {
        SearchHit h = std::move(m.hit);
        auto bytes = wrap::read_file(cache.absolute(m.path));
        if (bytes) {
            auto text = mime::extract_text(*bytes);
            h.from = std::move(text.from);
            h.subject = std::move(text.subject);
            if (!q.match.empty()) h.snippet = make_snippet(text.body, words);
        } else {  // verify says more; the hit is still shown
            h.from = std::move(m.raw_from);
            h.subject = std::move(m.raw_subject);
        }
        hits.push_back(std::move(h));
    }
    return hits;
}

}  // namespace mailferry::cache
