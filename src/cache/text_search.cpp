#include "cache/text_search.hpp"

#include <mutex>

#include "cache/search_snippet.hpp"
#include "cache/text_index.hpp"
#include "mime/text_extract.hpp"

namespace mailferry::cache {
namespace {

using Lock = std::lock_guard<std::mutex>;

std::string like_pattern(const std::string& imap_pattern) {
    std::string out;
    for (char c : imap_pattern) {
        if (c == '*' || c == '%') out += '%';
        else if (c == '_' || c == '\\') out += std::string("\\") + c;
        else out += c;
    }
    return out;
}

struct Match {
    SearchHit hit;
    std::string raw_from, raw_subject;
};

Result<std::vector<Match>> find_matches(Cache& cache, const SearchQuery& q) {
    Lock l(cache.index_mutex());
    // With words to match, FTS5 drives: it yields matches in key order, that
    // is by received date (text_index.hpp), so newest or oldest first stops at
    // the limit, and a date range is a range of keys. Relevance has to rank
    // every match first.
    std::string sql = "SELECT m.id, m.received_at, f.name, m.from_header, m.subject FROM ";
    if (!q.match.empty()) sql += "message_text JOIN messages m ON m.text_key = message_text.rowid";
    else sql += "messages m";
    sql += " JOIN folders f ON f.id = m.folder_id WHERE 1";
    if (!q.match.empty()) sql += " AND message_text MATCH :match";
    if (!q.folder.empty()) sql += " AND f.name LIKE :folder ESCAPE '\\'";
    if (!q.from.empty()) sql += " AND instr(lower(m.from_header), lower(:from)) > 0";
    if (q.since) sql += " AND m.received_at >= :since";
    if (q.before) sql += " AND m.received_at < :before";
    if (!q.match.empty() && q.since) sql += " AND message_text.rowid >= :since_key";
    if (!q.match.empty() && q.before) sql += " AND message_text.rowid < :before_key";
    bool descending = q.order != SearchQuery::Order::oldest;
    if (q.order == SearchQuery::Order::relevance && !q.match.empty()) sql += " ORDER BY message_text.rank";
    else if (!q.match.empty()) sql += descending ? " ORDER BY message_text.rowid DESC" : " ORDER BY message_text.rowid";
    else sql += descending ? " ORDER BY m.received_at DESC, m.id DESC" : " ORDER BY m.received_at, m.id";
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
    if (q.since) {
        bind(":since", *q.since);
        bind(":since_key", first_text_key_of(*q.since));
    }
    if (q.before) {
        bind(":before", *q.before);
        bind(":before_key", first_text_key_of(*q.before));
    }
    bind(":limit", int64_t{q.limit});
    std::vector<Match> out;
    Status s = st->each([&] {
        out.push_back({{st->int64(0), st->int64(1), st->text(2), "", "", ""}, st->text(3), st->text(4)});
    });
    if (!s) {
        Error e = s.error();
        // The query is the one argument a user writes and SQLite parses: a
        // statement that SQLite refuses (not a file it cannot read) means the query.
        if (!q.match.empty() && e.kind == ErrorKind::invalid_data) {
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
        // By id: the file is found even if a writer renamed it since the
        // snapshot, and decompressed where Dovecot's zlib plugin wrote it.
        auto bytes = cache.read_message(h.id);
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

Result<int64_t> messages_not_indexed(Cache& cache) {
    Lock l(cache.index_mutex());
    auto st = cache.index().prepare("SELECT count(*) FROM messages WHERE text_state = 0");
    if (!st) return st.error();
    if (auto r = st->step(); !r) return r.error();
    return st->int64(0);
}

}  // namespace mailferry::cache
