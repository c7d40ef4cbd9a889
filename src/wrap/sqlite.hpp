// RAII over sqlite3: a database handle, prepared statements and a transaction
// that rolls back unless committed. Errors come back as Result with kind io and
// SQLite's own message; SQLITE_FULL reads as a full disk.
//
// Thread-safety: a Database is used by one thread at a time (the cache holds a
// mutex around it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "mailferry/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mailferry::wrap {

class Statement {
public:
    Statement() = default;
    Statement(sqlite3_stmt* s, sqlite3* db);
    Statement(Statement&&) noexcept = default;
    Statement& operator=(Statement&&) noexcept = default;

    // Binds by 1-based index; chainable.
    Statement& bind(int i, int64_t v);
    Statement& bind(int i, std::string_view v);
    Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    Statement& bind_null(int i);
    // The index of a named parameter (":name"), 0 when the statement has none.
    int parameter_index(const char* name) const;
    Statement& bind(int i, std::optional<int64_t> v) { return v ? bind(i, *v) : bind_null(i); }

    // Binds args to parameters 1..n in order: any integer (bool too), a
    // string, std::optional<int64_t>, std::nullopt (NULL). Chainable.
    template <typename... Args>
    Statement& bind_all(const Args&... args) {
        int i = 0;
        (bind_value(++i, args), ...);
        return *this;
    }

    // true: a row is ready; false: done. Errors become Result errors.
    Result<bool> step();
    Status run();  // step to completion, then reset
    // Calls on_row for each result row (read the columns from this statement), then resets.
    Status each(const std::function<void()>& on_row);
    void reset();

    int64_t int64(int col) const;
    std::string text(int col) const;
    bool is_null(int col) const;

private:
    template <typename T>
    void bind_value(int i, const T& v) {
        if constexpr (std::is_same_v<T, std::nullopt_t>) bind_null(i);
        else if constexpr (std::is_integral_v<T>) bind(i, static_cast<int64_t>(v));
        else bind(i, v);
    }

    struct Finalize {
        void operator()(sqlite3_stmt* s) const;
    };
    std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
    sqlite3* db_ = nullptr;
};

enum class DatabaseAccess { read_write, create, read_only };

class Database {
public:
    static Result<Database> open(const std::string& path, DatabaseAccess access);
    Database(Database&&) noexcept = default;
    Database& operator=(Database&&) noexcept = default;

    Status exec(const std::string& sql);
    Result<Statement> prepare(std::string_view sql);
    // prepare(sql) with args bound in order (Statement::bind_all).
    template <typename... Args>
    Result<Statement> query(std::string_view sql, const Args&... args) {
        auto st = prepare(sql);
        if (st) st->bind_all(args...);
        return st;
    }
    // query(sql, args...) run to completion: an INSERT, UPDATE or DELETE.
    template <typename... Args>
    Status execute(std::string_view sql, const Args&... args) {
        auto st = query(sql, args...);
        if (!st) return st.error();
        return st->run();
    }
    int64_t last_insert_id() const;
    int changes() const;
    int64_t user_version();
    Status set_user_version(int64_t v);
    sqlite3* handle() const { return db_.get(); }

private:
    struct Close {
        void operator()(sqlite3* db) const;
    };
    Database() = default;
    std::unique_ptr<sqlite3, Close> db_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK in the destructor unless commit() succeeded.
class Transaction {
public:
    static Result<Transaction> begin(Database& db);
    Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Status commit();

private:
    explicit Transaction(Database* db) : db_(db) {}
    Database* db_;
};

}  // namespace mailferry::wrap
