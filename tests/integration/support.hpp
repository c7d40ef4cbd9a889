// What the integration tests share: running the real mailferry binary, an
// independent IMAP reader (libetpan used directly, none of mailferry's own
// IMAP code) to see what the server really sends, and a snapshot of a cache.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <tuple>
#include <set>
#include <string>
#include <vector>

namespace mailferry::test {

struct RunResult {
    int exit_code = -1;
    std::string out, err;
};

// Runs build/mailferry with args; stdin is /dev/null.
RunResult run_mailferry(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
// Starts it in the background (output discarded); returns its pid.
pid_t spawn_mailferry(const std::vector<std::string>& args);
int wait_for(pid_t pid);

// A fresh temporary directory, removed at the end of the test.
struct TempDir {
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string path;
    std::string operator/(const std::string& sub) const { return path + "/" + sub; }
};

// mailferry running in the background, its output going to files: for tests
// that must act on what it prints while it runs (a device code to approve).
class BackgroundRun {
public:
    explicit BackgroundRun(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
    ~BackgroundRun();  // kills it if it still runs
    BackgroundRun(const BackgroundRun&) = delete;
    BackgroundRun& operator=(const BackgroundRun&) = delete;
    // The first line of standard output containing needle, or "" after timeout.
    std::string wait_for_line(const std::string& needle, int timeout_seconds);
    RunResult finish();  // waits for the exit
    bool running() const;  // not exited yet (asks without reaping: finish() still works)
    pid_t pid() const { return pid_; }

private:
    TempDir dir_;
    pid_t pid_ = -1;
    std::string out_, err_;
};

std::string write_secret_file(const std::string& path, const std::string& secret);

struct ServerMessage {
    uint32_t uid = 0;
    std::string sha256;
    uint64_t size = 0;
    int64_t internaldate = 0;
    std::string flags;  // IMAP form, system flags first, as the cache writes it
};

struct ServerFolder {
    std::string raw_name;
    std::string role;
    bool selectable = true;
    uint32_t uidvalidity = 0;
    std::vector<ServerMessage> messages;
};

// Everything the account holds, read with BODY.PEEK[] over implicit TLS (certificate not checked: the
// test's own reader). Keyed by the raw folder name.
std::map<std::string, ServerFolder> read_account(int imaps_port, const std::string& user, const std::string& password);

// Sends one IMAP command (SELECT'ing folder first when given) and fails the test if it is not OK.
void imap_command(int imaps_port, const std::string& user, const std::string& password, const std::string& folder,
                  const std::string& command);

struct CachedMessageRow {
    std::string folder_raw_name;
    uint32_t uidvalidity = 0, uid = 0;
    std::string sha256;
    uint64_t size = 0;
    int64_t received = 0;
    std::string flags;
    std::string path;
    bool gone = false;
    bool operator==(const CachedMessageRow&) const = default;
    bool operator<(const CachedMessageRow& o) const {
        return std::tie(folder_raw_name, uidvalidity, uid) < std::tie(o.folder_raw_name, o.uidvalidity, o.uid);
    }
};

struct CachedFolderRow {
    std::string raw_name, name, role, maildir;
    bool selectable = true;
};

std::vector<CachedMessageRow> read_cache_messages(const std::string& cache_dir);
// CHECKs that two caches' rows (sorted) are equal; on a mismatch the message
// names the first rows that differ, in words, instead of the whole lists.
void check_same_rows(const std::vector<CachedMessageRow>& got, const std::vector<CachedMessageRow>& want);
std::map<std::string, CachedFolderRow> read_cache_folders(const std::string& cache_dir);
// Every regular file below <cache>/mail in cur/, new/ or tmp/, relative to the cache.
std::set<std::string> message_files(const std::string& cache_dir);
std::string sha256_of_file(const std::string& path);
// Runs SQL on a cache's index, as a test that plants a state does; the first
// column of the first row (0 when none).
int64_t cache_sql(const std::string& cache_dir, const std::string& statement);

class TestDovecot;
// Loads every mailbox of a corpus (tests/common/test_corpus.hpp: the generated
// one's root, or the real one's) into user's account: the Maildir++ tree as it
// is, each mbox file and each folder of loose messages into a folder of its own.
// Returns what the server then holds.
std::map<std::string, ServerFolder> load_corpus(const TestDovecot& d, const std::string& corpus_root,
                                                const std::string& user, const std::string& password);
// The generated corpus' Maildir++ tree: the realistic account most tests serve.
std::string generated_maildirpp();
// The message files of one group of the generated corpus ("eml/headers"...), sorted.
std::vector<std::string> generated_message_files(const std::string& group);
// The cache holds exactly what the server sends: same folders and roles, and per
// message the same bytes (file and index), flags and INTERNALDATE.
void require_cache_matches_server(const std::string& cache, const std::map<std::string, ServerFolder>& server);
int64_t mtime_of(const std::string& path);

}  // namespace mailferry::test

namespace mailferry::test {

// tests/harness/fault_proxy in front of a server's IMAPS port, with the
// server's own certificate; stopped by its PID when the object goes.
class FaultProxy {
public:
    FaultProxy(int upstream_port, const std::string& ssl_dir, const std::vector<std::string>& options);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;
    int port() const { return port_; }
    // The event log, one line per event ("<ms> conn=N event ...").
    std::vector<std::string> log_lines() const;

private:
    TempDir dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace mailferry::test
