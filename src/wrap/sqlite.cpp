#include "wrap/sqlite.hpp"

#include <sqlite3.h>

namespace mailferry::wrap {
namespace {

// SQLITE_ERROR is the statement's own fault (its SQL, or an argument SQLite
// parses, such as an FTS5 query): invalid_data. Every other code is about the
// file, the disk or the lock: io.
Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
    std::string text = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    if (rc == SQLITE_FULL) text += " (the disk is full)";
    ErrorKind kind = (rc & 0xff) == SQLITE_ERROR ? ErrorKind::invalid_data : ErrorKind::io;
    return make_error(kind, Radius::fatal, "cache index: " + text);
}

}  // namespace

void Statement::Finalize::operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
void Database::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Statement::Statement(sqlite3_stmt* s, sqlite3* db) : stmt_(s), db_(db) {}

Statement& Statement::bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_.get(), i, v);
    return *this;
}

Statement& Statement::bind(int i, std::string_view v) {
    sqlite3_bind_text64(stmt_.get(), i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

int Statement::parameter_index(const char* name) const { return sqlite3_bind_parameter_index(stmt_.get(), name); }

Statement& Statement::bind_null(int i) {
    sqlite3_bind_null(stmt_.get(), i);
    return *this;
}

Result<bool> Statement::step() {
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error e = sqlite_error(db_, rc, "statement failed");
    sqlite3_reset(stmt_.get());
    return e;
}

Status Statement::run() {
    for (;;) {
        auto r = step();
        if (!r) return r.error();
        if (!*r) break;
    }
    reset();
    return {};
}

Status Statement::each(const std::function<void()>& on_row) {
    for (;;) {
        auto r = step();
        if (!r) return r.error();
        if (!*r) break;
        on_row();
    }
    reset();
    return {};
}

void Statement::reset() {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
}

int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }

std::string Statement::text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col))) : "";
}

bool Statement::is_null(int col) const {
    return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}

Result<Database> Database::open(const std::string& path, DatabaseAccess access) {
    sqlite3* raw = nullptr;
    const bool create = access == DatabaseAccess::create;
    int flags = SQLITE_OPEN_NOMUTEX;
    if (access == DatabaseAccess::read_only) flags |= SQLITE_OPEN_READONLY;
    else flags |= SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Database db;
    db.db_.reset(raw);
    if (rc != SQLITE_OK) {
        Error e = sqlite_error(raw, rc, "cannot open " + path);
        if (!create && rc == SQLITE_CANTOPEN) e.kind = ErrorKind::not_found;
        return e;
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, 30000);
    return db;
}

Status Database::exec(const std::string& sql) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
        std::string text = msg ? msg : sqlite3_errstr(rc);
        sqlite3_free(msg);
        Error e = make_error(ErrorKind::io, Radius::fatal, "cache index: " + text);
        if (rc == SQLITE_FULL) e.message += " (the disk is full)";
        return e;
    }
    return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, "cannot prepare");
    return Statement(s, db_.get());
}

int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_.get()); }
int Database::changes() const { return sqlite3_changes(db_.get()); }

int64_t Database::user_version() {
    auto st = prepare("PRAGMA user_version");
    if (!st || !st->step().ok()) return -1;
    return st->int64(0);
}

Status Database::set_user_version(int64_t v) {
    return exec("PRAGMA user_version = " + std::to_string(v));
}

Result<Transaction> Transaction::begin(Database& db) {
    MF_TRY(db.exec("BEGIN IMMEDIATE"));
    return Transaction(&db);
}

Transaction::~Transaction() {
    if (db_) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
    Status s = db_->exec("COMMIT");
    if (s.ok()) db_ = nullptr;
    return s;
}

}  // namespace mailferry::wrap
