// tests/harness/hostile_server/: an IMAP and POP3 server of our own that
// misbehaves on purpose, one script per instance (README.md there), for the
// tests of what mailferry does against a hostile server. Dovecot refuses to
// misbehave, so this stands in for it.
//
//   mailferry::test::HostileServer server("imap-trickle");
//   fetch from imaps://alice@127.0.0.1:server.port() with --ca-file server.ca_file()
//
// It listens on 127.0.0.1 with implicit TLS, its certificate signed by a test
// CA of its own (tests/harness/make-test-certs). Stopped by its PID in the
// destructor; it exits by itself after max_seconds, or when this process is
// gone. Depends only on the standard library and POSIX (python3 at run time).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mailferry::test {

class HostileServer {
public:
    // Throws std::runtime_error when it cannot start (with its output).
    // certificate: one of make-test-certs' leaves ("good", "other-host", "expired").
    explicit HostileServer(const std::string& script, int max_seconds = 240,
                           const std::string& certificate = "good");
    ~HostileServer();
    HostileServer(const HostileServer&) = delete;
    HostileServer& operator=(const HostileServer&) = delete;

    int port() const { return port_; }
    const std::string& ca_file() const { return ca_file_; }  // give as --ca-file
    const std::string& dir() const { return dir_; }
    // The event log, one line per event ("<seconds> conn=<n> <event>": "cmd UID FETCH", "dele 3", ...).
    std::vector<std::string> log_lines() const;

private:
    std::string dir_, ca_file_;
    pid_t pid_ = -1;
    int port_ = 0;
};

// Absolute path of tests/harness/hostile_server/hostile-server.
std::string hostile_server_script();

}  // namespace mailferry::test
