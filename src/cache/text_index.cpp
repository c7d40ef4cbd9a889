#include "cache/text_index.hpp"

#include <algorithm>
#include <chrono>
#include <future>

#include "core/failpoint.hpp"
#include "mime/text_extract.hpp"
#include "wrap/posix_file.hpp"
#include "wrap/sqlite.hpp"

namespace mailferry::cache {
namespace {

// A batch is one transaction of the index; its messages' text is in memory
// at once, twice over while the next batch is extracted. While it commits,
// a fetch's own commit waits, so it stays short.
constexpr int kBatchMessages = 2000;
constexpr int64_t kBatchBytes = 16 * 1024 * 1024;

struct Pending {
    int64_t id, received_at;
    std::string path;
};

struct Row {
    int64_t id, received_at;
    mime::ExtractedText text;
};

struct Extracted {
    std::vector<Row> rows;
    uint64_t unreadable = 0;
};

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : "\n") + n;
    return out;
}

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
        out.rows.push_back({p.id, p.received_at, mime::extract_text(*bytes)});
    }
    return out;
}

// Writes the index through a connection of its own (text_index.hpp says why).
class Indexer {
public:
    static Result<Indexer> open(Cache& cache) {
        auto db = wrap::Database::open(cache.absolute("index.sqlite"), wrap::DatabaseAccess::read_write);
        if (!db) return db.error();
        MF_TRY(db->exec("PRAGMA synchronous = NORMAL"));
        return Indexer(cache, std::move(*db));
    }

    Status clear() {
        auto tx = wrap::Transaction::begin(db_);
        if (!tx) return tx.error();
        MF_TRY(db_.exec("INSERT INTO message_text(message_text) VALUES ('delete-all');"
                        "UPDATE messages SET text_state = 0, text_key = NULL;"));
        after_ = 0;
        return tx->commit();
    }

    // Indexes the messages not indexed yet that came after the last one this
    // indexer saw (a message's id is larger than every id committed before it).
    // Two stages: a thread extracts the text of the next batch while this one
    // stores the current batch (SQLite's FTS5 tokenizer is the larger part).
    Status run(TextIndexProgress& progress, TextIndexReport& report) {
        auto counted = count_pending();
        if (!counted) return counted.error();
        progress.total += static_cast<uint64_t>(*counted);
        auto start_next = [&]() -> Result<std::future<Extracted>> {
            auto batch = next_batch();
            if (!batch) return batch.error();
            if (!batch->empty()) after_ = batch->back().id;
            return std::async(std::launch::async, [this, &progress, b = std::move(*batch)] {
                return extract(cache_, b, progress);
            });
        };
        auto next = start_next();
        if (!next) return next.error();
        for (;;) {
            Extracted current = next->get();
            if (current.rows.empty() && current.unreadable == 0) return {};
            next = start_next();
            if (!next) return next.error();
            report.unreadable += current.unreadable;
            for (const auto& r : current.rows)
                if (!r.text.parsed) ++report.unparsed;
            if (Status s = store(current.rows); !s) {
                next->wait();
                return s;
            }
            failpoint("text.committed");
            report.indexed += current.rows.size();
        }
    }

private:
    Indexer(Cache& cache, wrap::Database db) : cache_(cache), db_(std::move(db)) {}

    Result<int64_t> count_pending() {
        auto st = db_.query("SELECT count(*) FROM messages WHERE text_state = 0 AND id > ?", after_);
        if (!st) return st.error();
        if (auto r = st->step(); !r) return r.error();
        return st->int64(0);
    }

    Result<std::vector<Pending>> next_batch() {
        auto st = db_.query(
            "SELECT id, received_at, path, size FROM messages WHERE text_state = 0 AND id > ? ORDER BY id LIMIT ?",
            after_, kBatchMessages);
        if (!st) return st.error();
        std::vector<Pending> out;
        int64_t bytes = 0;
        MF_TRY(st->each([&] {
            if (bytes >= kBatchBytes) return;  // the rest waits for the next batch
            out.push_back({st->int64(0), st->int64(1), st->text(2)});
            bytes += st->int64(3);
        }));
        return out;
    }

    // One transaction per batch: its rows in the index and their state, together.
    Status store(const std::vector<Row>& rows) {
        auto tx = wrap::Transaction::begin(db_);
        if (!tx) return tx.error();
        auto ins = db_.prepare(
            "INSERT INTO message_text(rowid, subject, sender, recipients, body, attachments) "
            "VALUES (?, ?, ?, ?, ?, ?)");
        auto mark = db_.prepare("UPDATE messages SET text_state = ?, text_key = ? WHERE id = ?");
        auto taken = db_.prepare("SELECT 1 FROM messages WHERE text_key = ?");
        if (!ins) return ins.error();
        if (!mark) return mark.error();
        if (!taken) return taken.error();
        for (const auto& r : rows) {
            auto key = free_text_key(r, *taken);
            if (!key) return key.error();
            const auto& t = r.text;
            std::string recipients = t.to + (t.cc.empty() ? "" : ", " + t.cc);
            std::string attachments = joined(t.attachment_names);
            MF_TRY(ins->bind_all(*key, t.subject, t.from, recipients, t.body, attachments).run());
            MF_TRY(mark->bind_all(t.parsed ? 1 : 2, *key, r.id).run());
        }
        return tx->commit();
    }

    // Keys are unique (index messages_text_key): of two messages received in
    // the same second whose ids share their low bits, the later takes the
    // next free key. The batch's earlier keys are already in messages.
    static Result<int64_t> free_text_key(const Row& r, wrap::Statement& taken) {
        int64_t key = first_text_key_of(r.received_at) + (r.id & ((int64_t{1} << kTextKeyShift) - 1));
        for (;; ++key) {
            taken.bind(1, key);
            auto row = taken.step();
            taken.reset();
            if (!row) return row.error();
            if (!*row) return key;
        }
    }

    Cache& cache_;
    wrap::Database db_;
    int64_t after_ = 0;
};

}  // namespace

int64_t first_text_key_of(int64_t epoch_seconds) {
    constexpr int64_t limit = (int64_t{1} << (62 - kTextKeyShift)) - 1;
    return std::clamp(epoch_seconds, -limit, limit) * (int64_t{1} << kTextKeyShift);
}

Result<TextIndexReport> index_text(Cache& cache, bool rebuild, TextIndexProgress& progress) {
    auto indexer = Indexer::open(cache);
    if (!indexer) return indexer.error();
    if (rebuild) MF_TRY(indexer->clear());
    TextIndexReport report;
    MF_TRY(indexer->run(progress, report));
    return report;
}

BackgroundTextIndex::BackgroundTextIndex(Cache& cache) : cache_(cache), thread_([this] { run(); }) {}

BackgroundTextIndex::~BackgroundTextIndex() { (void)finish(); }

Result<TextIndexReport> BackgroundTextIndex::finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return result_;
}

void BackgroundTextIndex::run() {
    auto indexer = Indexer::open(cache_);
    if (!indexer) {
        result_ = indexer.error();
        return;
    }
    TextIndexReport report;
    for (;;) {
        bool last = stop_;  // read before the pass: a pass after stop sees every commit
        uint64_t seen = report.indexed + report.unreadable;
        if (Status s = indexer->run(progress_, report); !s) {
            result_ = s.error();
            return;
        }
        if (last) break;
        if (report.indexed + report.unreadable == seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    result_ = report;
}

}  // namespace mailferry::cache
