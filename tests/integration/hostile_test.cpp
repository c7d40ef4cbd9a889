// `mailferry fetch` against a hostile server (issue 13, items 3 to 5): our own
// misbehaving IMAP/POP3 server (tests/harness/hostile_server), one script per
// test. Each run must end by itself with a clear one-line error naming the
// message or folder (or skip what it must), stay under a memory bound read from
// the child's peak RSS, and leave a cache that `mailferry verify` passes.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "hostile_server.hpp"
#include "support.hpp"

using namespace mailferry::test;

namespace {

struct Measured {
    int exit_code = -1;  // -1: still running when its time was up (then killed)
    std::string out, err;
    long peak_rss_mb = 0;
    double seconds = 0;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// In the child before exec: keeps ASan's other options, shrinks its quarantine.
void limit_sanitizer_quarantine() {
#if defined(__SANITIZE_ADDRESS__)
    const char* now = getenv("ASAN_OPTIONS");
    std::string options = now ? std::string(now) + ":" : std::string();
    options += "quarantine_size_mb=8";
    setenv("ASAN_OPTIONS", options.c_str(), 1);
#endif
}

// Runs mailferry with args, killing it after max_seconds; the peak RSS comes from wait4().
Measured run_measured(const std::vector<std::string>& args, int max_seconds) {
    TempDir files;
    const std::string out = files / "out", err = files / "err";
    auto start = std::chrono::steady_clock::now();
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        limit_sanitizer_quarantine();
        std::vector<char*> argv{const_cast<char*>(MAILFERRY_BINARY)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(MAILFERRY_BINARY, argv.data());
        _exit(127);
    }
    Measured m;
    int status = 0;
    struct rusage usage {};
    auto deadline = start + std::chrono::seconds(max_seconds);
    pid_t done = 0;
    while ((done = wait4(pid, &status, WNOHANG, &usage)) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (done == 0) {
        kill(pid, SIGKILL);
        wait4(pid, &status, 0, &usage);
    } else if (WIFEXITED(status)) {
        m.exit_code = WEXITSTATUS(status);
    } else {
        m.exit_code = 128 + WTERMSIG(status);
    }
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    m.peak_rss_mb = usage.ru_maxrss / 1024;
    m.out = slurp(out);
    m.err = slurp(err);
    return m;
}

struct Hostile {
    HostileServer server;
    TempDir dir;
    std::string password_file = write_secret_file(dir / "pw", "any-password");
    std::string cache = dir / "cache";

    explicit Hostile(const std::string& script) : server(script) {}

    Measured fetch(const std::string& scheme, std::vector<std::string> extra = {}, int max_seconds = 120) const {
        std::vector<std::string> args = {"fetch", cache, "--from",
                                         scheme + "://alice@127.0.0.1:" + std::to_string(server.port()),
                                         "--password-file", password_file, "--ca-file", server.ca_file(),
                                         "--no-progress"};
        args.insert(args.end(), extra.begin(), extra.end());
        Measured m = run_measured(args, max_seconds);
        INFO("exit " << m.exit_code << " after " << m.seconds << " s, peak RSS " << m.peak_rss_mb << " MB\n"
                     << m.out << m.err);
        return m;
    }

    std::set<uint32_t> cached_uids(const std::string& folder = "INBOX") const {
        std::set<uint32_t> uids;
        for (const auto& row : read_cache_messages(cache))
            if (row.folder_raw_name == folder) uids.insert(row.uid);
        return uids;
    }

    void require_verified() const {
        auto v = run_mailferry({"verify", cache});
        INFO(v.out << v.err);
        REQUIRE(v.exit_code == 0);
    }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The error lines the run printed that contain needle.
std::vector<std::string> errors_with(const Measured& m, const std::string& needle) {
    std::vector<std::string> found;
    for (const auto& line : lines_of(m.err))
        if (line.find(needle) != std::string::npos) found.push_back(line);
    return found;
}

bool has_control_bytes(const std::string& text) {
    for (unsigned char c : text)
        if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
    return false;
}

// Memory bounds: far below what each script pushes (up to 1.5 GB). A normal
// build peaks near 35 MB for IMAP (one 16 MB line cap) and near 290 MB for POP3,
// which holds one message of up to the default --max-message-size (200 MB)
// while it reads it. Under AddressSanitizer every heap byte also costs shadow
// memory and redzones, so the bounds double there; its quarantine of freed
// blocks (256 MB by default) is made small in the child, or the bound would
// measure what ASan keeps rather than what mailferry holds.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kSanitizerFactor = 2;
#else
constexpr long kSanitizerFactor = 1;
#endif
constexpr long kImapPeakMb = 100 * kSanitizerFactor;
constexpr long kPop3PeakMb = 400 * kSanitizerFactor;

}  // namespace

TEST_CASE("hostile server: a literal announced as 4 GB is refused before a byte of it is read", "[hostile][imap]") {
    Hostile h("imap-literal-4g");
    auto r = h.fetch("imaps");
    CHECK(r.exit_code == 1);
    CHECK(r.peak_rss_mb < kImapPeakMb);
    // UID 2 lies in RFC822.SIZE and announces the literal; UID 4 is listed at 4 GB.
    auto two = errors_with(r, "UID 2:");
    auto four = errors_with(r, "UID 4:");
    REQUIRE(two.size() == 1);
    REQUIRE(four.size() == 1);
    CHECK(two[0].find("4294967296") != std::string::npos);
    CHECK(two[0].find("INBOX") != std::string::npos);
    CHECK(four[0].find("4294967296") != std::string::npos);
    CHECK(h.cached_uids() == std::set<uint32_t>{1, 3});
    h.require_verified();
}

TEST_CASE("hostile server: a FETCH line that never ends is cut off, memory bounded", "[hostile][imap]") {
    Hostile h("imap-endless-line");
    auto r = h.fetch("imaps");
    CHECK(r.exit_code == 1);
    CHECK(r.peak_rss_mb < kImapPeakMb);
    auto two = errors_with(r, "UID 2:");
    REQUIRE(two.size() == 1);
    CHECK(two[0].find("line longer than") != std::string::npos);
    CHECK(h.cached_uids() == std::set<uint32_t>{1, 3});
    h.require_verified();
}

TEST_CASE("hostile server: a server trickling a message a byte a second is cut off by the whole-message deadline",
          "[hostile][imap]") {
    Hostile h("imap-trickle");
    // The message is 2 KB: at a byte a second it would take over half an hour.
    auto r = h.fetch("imaps", {"--timeout", "3"}, 90);
    REQUIRE(r.exit_code == 1);
    CHECK(r.seconds < 60);
    auto two = errors_with(r, "UID 2:");
    REQUIRE(two.size() == 1);
    CHECK(two[0].find("too slow") != std::string::npos);
    CHECK(h.cached_uids() == std::set<uint32_t>{1, 3});
    h.require_verified();
}

TEST_CASE("hostile server: FETCH responses for UIDs not asked for are ignored", "[hostile][imap]") {
    Hostile h("imap-unrequested");
    auto first = h.fetch("imaps");
    CHECK(first.exit_code == 0);
    // The server adds UID 99 and UID 4294967295 to every answer: neither is in its mailbox.
    CHECK(h.cached_uids() == std::set<uint32_t>{1, 2, 3});
    auto second = h.fetch("imaps");
    CHECK(second.exit_code == 0);
    CHECK(second.out.find("0 new") != std::string::npos);
    CHECK(h.cached_uids() == std::set<uint32_t>{1, 2, 3});
    h.require_verified();
}

TEST_CASE("hostile server: UID 4294967295 is fetched once and does not wrap to 0 on the next run", "[hostile][imap]") {
    Hostile h("imap-uid-max");
    auto first = h.fetch("imaps");
    CHECK(first.exit_code == 0);
    CHECK(h.cached_uids() == std::set<uint32_t>{1, 2, 4294967295u});
    auto second = h.fetch("imaps");
    CHECK(second.exit_code == 0);
    CHECK(second.out.find("0 new") != std::string::npos);
    CHECK(read_cache_messages(h.cache).size() == 3);
    h.require_verified();
}

TEST_CASE("hostile server: control characters in folder names reach no terminal and break no error line",
          "[hostile][imap]") {
    Hostile h("imap-control-names");
    auto r = h.fetch("imaps");
    // "Break\r\nLine" cannot be opened: one error, on one line, its name made visible.
    CHECK(r.exit_code == 1);
    CHECK_FALSE(has_control_bytes(r.out));
    CHECK_FALSE(has_control_bytes(r.err));
    auto broken = errors_with(r, "Break");
    REQUIRE(broken.size() == 1);
    CHECK(broken[0].find("Line") != std::string::npos);
    std::set<std::string> cached;
    for (const auto& row : read_cache_messages(h.cache)) cached.insert(row.folder_raw_name);
    CHECK(cached.size() == 5);  // INBOX and the four that open
    h.require_verified();
}

TEST_CASE("hostile server: a BYE in the middle of a literal fails that message, and the run ends by itself",
          "[hostile][imap]") {
    Hostile h("imap-bye-mid-literal");
    auto r = h.fetch("imaps", {}, 90);
    REQUIRE(r.exit_code == 1);
    CHECK(r.seconds < 60);
    CHECK(r.peak_rss_mb < kImapPeakMb);
    auto two = errors_with(r, "UID 2:");
    REQUIRE(two.size() == 1);
    CHECK(two[0].find("connection") != std::string::npos);  // closed or lost: GnuTLS cannot tell them apart
    CHECK(h.cached_uids() == std::set<uint32_t>{1, 3});
    h.require_verified();
}

TEST_CASE("hostile server: folder names too long for one file name are shortened with a hash, the run goes on",
          "[hostile][imap]") {
    Hostile h("imap-long-names");
    auto r = h.fetch("imaps");
    CHECK(r.exit_code == 0);
    CHECK(read_cache_messages(h.cache).size() == 7);  // INBOX's 3, one in each of the 4 others
    for (const auto& [raw, folder] : read_cache_folders(h.cache)) {
        INFO(raw);
        CHECK(folder.maildir.size() <= 255);
    }
    h.require_verified();
}

TEST_CASE("hostile server: POP3: two messages with one UIDL are both kept, and --delete-after-fetch deletes "
          "only what is cached",
          "[hostile][pop3]") {
    Hostile h("pop3-duplicate-uidl");
    auto r = h.fetch("pop3s", {"--delete-after-fetch"});
    CHECK(r.exit_code == 0);
    auto subjects = [&](int n) {
        return cache_sql(h.cache, "SELECT count(*) FROM messages WHERE subject = 'hostile server message " +
                                      std::to_string(n) + "'");
    };
    // Messages 1 and 2 share the UIDL "dup": each is a message of its own in the cache.
    CHECK(subjects(1) == 1);
    CHECK(subjects(2) == 1);
    CHECK(subjects(3) == 1);
    int deleted = 0;
    for (const auto& line : h.server.log_lines()) {
        auto at = line.find(" dele ");
        if (at == std::string::npos) continue;
        int n = std::stoi(line.substr(at + 6));
        INFO(line);
        CHECK(subjects(n) == 1);  // never a message whose bytes are not in the cache
        ++deleted;
    }
    CHECK(deleted >= 1);
    h.require_verified();
}

TEST_CASE("hostile server: POP3: a RETR that never ends is cut off at the size limit, memory bounded",
          "[hostile][pop3]") {
    Hostile h("pop3-endless-retr");
    auto r = h.fetch("pop3s", {"--delete-after-fetch"});
    CHECK(r.exit_code == 1);
    CHECK(r.peak_rss_mb < kPop3PeakMb);
    auto two = errors_with(r, "UID 2:");
    REQUIRE(two.size() == 1);
    CHECK(two[0].find("larger than the limit") != std::string::npos);
    CHECK(h.cached_uids() == std::set<uint32_t>{1, 3});
    for (const auto& line : h.server.log_lines()) CHECK(line.find(" dele 2") == std::string::npos);
    h.require_verified();
}

TEST_CASE("hostile server: POP3: a RETR trickling a byte a second is cut off by the whole-message deadline",
          "[hostile][pop3]") {
    Hostile h("pop3-trickle-retr");
    auto r = h.fetch("pop3s", {"--timeout", "3", "--delete-after-fetch"}, 90);
    REQUIRE(r.exit_code == 1);
    CHECK(r.seconds < 60);
    auto two = errors_with(r, "UID 2:");
    REQUIRE(two.size() == 1);
    CHECK(two[0].find("too slow") != std::string::npos);
    CHECK(h.cached_uids() == std::set<uint32_t>{1, 3});
    for (const auto& line : h.server.log_lines()) CHECK(line.find(" dele 2") == std::string::npos);
    h.require_verified();
}
