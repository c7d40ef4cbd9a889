// Result<T>: the error type that crosses layers (docs/architecture.md §7).
//
// An Error says what went wrong (kind), how far the damage reaches (radius),
// whether trying again can help (retry), what the server said, and where it
// happened (folder, UID or file). Errors are values: no exceptions cross a
// layer edge, and nothing below src/cli/ calls exit().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace mailferry {

enum class ErrorKind {
    temporary,    // the server or the network may recover: try again
    auth,         // credentials refused
    not_found,    // folder, file or host does not exist
    quota,        // the target is full
    too_big,      // one message exceeds a limit
    invalid_data, // input we cannot parse or store
    protocol,     // the peer broke the protocol
    tls,          // certificate refused, handshake failed, downgrade refused
    io,           // local file system error (disk full, permissions)
    usage,        // the user asked for something impossible
    internal,     // a bug of ours
};

// How much of the run an error takes down.
enum class Radius { message, folder, account, fatal };

enum class Retry { now, later, never };

struct Error {
    ErrorKind kind = ErrorKind::internal;
    Radius radius = Radius::fatal;
    Retry retry = Retry::never;
    std::string message;      // one line, for humans; never holds a secret
    std::string server_text;  // what the peer said, verbatim (trimmed to a line)
    std::string context;      // "folder Lists/dev", "UID 42", "file a.mbox:1234"

    // "context: message (server: text)", the one line a user sees.
    std::string describe() const;
    // Prepends where the error happened; a place the context names first
    // already (a source that named its folder) is not named twice.
    Error& in(std::string where) {
        if (context == where || context.rfind(where + ", ", 0) == 0) return *this;
        context = context.empty() ? std::move(where) : std::move(where) + ", " + context;
        return *this;
    }
};

Error make_error(ErrorKind kind, Radius radius, std::string message);

// The exit code a run ends with when this error stops it (README, "Exit codes").
int exit_code_for(ErrorKind kind);

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }
    Error& error() { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : e_(std::move(error)) {}
    bool ok() const { return !e_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *e_; }
    Error& error() { return *e_; }

private:
    std::optional<Error> e_;
};

using Status = Result<void>;

}  // namespace mailferry

// Propagates an error from an expression returning Result<...>.
#define MF_TRY(expr)                                   \
    do {                                               \
        auto mf_try_result_ = (expr);                  \
        if (!mf_try_result_.ok()) return mf_try_result_.error(); \
    } while (0)
