#include "mailferry/result.hpp"
#include "core/utf8.hpp"

namespace mailferry {

std::string Error::describe() const {
    std::string line = context.empty() ? message : context + ": " + message;
    if (!server_text.empty()) line += " (server said: " + server_text + ")";
    // Server texts and names from mail reach the terminal here: nothing in them may act on it.
    return visible_text(line);
}

Error make_error(ErrorKind kind, Radius radius, std::string message) {
    Error e;
    e.kind = kind;
    e.radius = radius;
    e.retry = kind == ErrorKind::temporary ? Retry::later : Retry::never;
    e.message = std::move(message);
    return e;
}

// Keep in line with README.md, "Exit codes".
int exit_code_for(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::usage: return 2;
    case ErrorKind::auth: return 3;
    case ErrorKind::tls: return 4;
    case ErrorKind::temporary:
    case ErrorKind::not_found:
    case ErrorKind::protocol: return 5;  // could not reach or talk to the server
    case ErrorKind::io: return 6;
    case ErrorKind::quota:
    case ErrorKind::too_big:
    case ErrorKind::invalid_data: return 1;
    case ErrorKind::internal: return 70;
    }
    return 70;
}

}  // namespace mailferry
