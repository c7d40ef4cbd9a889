// Faults on the line and on the disk, against fetch: a server that stalls, one
// that hangs up after its greeting, a line cut again and again, a slow line, a
// full disk. Every run ends (completed after retries, or stopped with one
// clear line) and leaves a consistent cache that a later run completes.
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "support.hpp"
#include "test_dovecot.hpp"

using namespace mailferry::test;
namespace fs = boost::filesystem;
using nlohmann::json;

namespace {

const std::string kPassword = "faults pw";

struct Rig {
    TestDovecot dovecot{DovecotOptions{"dovecot", {"alice:" + kPassword}, false}};
    TempDir dir;
    std::string password_file = write_secret_file(dir / "pw", kPassword);
    Rig() { dovecot.load_maildir("alice", generated_maildirpp()); }
    RunResult fetch(const std::string& cache, int port, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args = {"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(port),
                                         "--password-file", password_file, "--ca-file", dovecot.ca_file(),
                                         "--no-progress", "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_mailferry(args);
    }
    void require_complete(const std::string& cache) const {
        require_cache_matches_server(cache, read_account(dovecot.imaps_port(), "alice", kPassword));
        std::set<std::string> indexed;
        for (const auto& r : read_cache_messages(cache)) indexed.insert(r.path);
        CHECK(message_files(cache) == indexed);
    }
};

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("a server that stops answering trips --timeout: fetch reconnects and goes on, or stops clearly",
          "[faults][fetch]") {
    Rig rig;
    const std::string cache = rig.dir / "cache";
    SECTION("silent after a few folders, on every connection: each new connection gets further") {
        FaultProxy proxy(rig.dovecot.imaps_port(), rig.dovecot.dir() + "/ssl", {"--stall-after-bytes", "400"});
        auto started = std::chrono::steady_clock::now();
        auto r = rig.fetch(cache, proxy.port(), {"--timeout", "2", "--connections", "1"});
        CHECK(seconds_since(started) < 120);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        rig.require_complete(cache);
        int stalls = 0;
        for (const auto& l : proxy.log_lines()) stalls += l.find("client-left-stall") != std::string::npos;
        CHECK(stalls >= 2);  // the client gave up on a silent server, more than once
    }
    SECTION("silent right after the login: the run stops with a clear line, and the next run completes") {
        {
            FaultProxy proxy(rig.dovecot.imaps_port(), rig.dovecot.dir() + "/ssl", {"--stall-after-bytes", "120"});
            auto started = std::chrono::steady_clock::now();
            auto r = rig.fetch(cache, proxy.port(), {"--timeout", "2"});
            CHECK(seconds_since(started) < 120);
            CHECK(r.exit_code == 5);
            INFO(r.err);
            CHECK(r.err.find("the connection was lost (gave up after 4 connections)") != std::string::npos);
            CHECK(r.err.find("mailferry: folder ") != std::string::npos);
        }
        auto again = rig.fetch(cache, rig.dovecot.imaps_port());
        INFO(again.err);
        REQUIRE(again.exit_code == 0);
        rig.require_complete(cache);
    }
}

TEST_CASE("a server that hangs up after its greeting gives one clear line and no cache", "[faults][fetch]") {
    Rig rig;
    FaultProxy proxy(rig.dovecot.imaps_port(), rig.dovecot.dir() + "/ssl", {"--close-after-greeting"});
    auto r = rig.fetch(rig.dir / "cache", proxy.port());
    CHECK(r.exit_code == 5);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.rfind("mailferry: ", 0) == 0);
    CHECK_FALSE(fs::exists(rig.dir / "cache"));
}

TEST_CASE("a line cut again and again, or a slow one, still ends with the whole mailbox", "[faults][fetch]") {
    Rig rig;
    SECTION("cut every few commands") {
        FaultProxy proxy(rig.dovecot.imaps_port(), rig.dovecot.dir() + "/ssl",
                         {"--drop-after-bytes", "400", "--drop-jitter", "20", "--seed", "7"});
        const std::string cache = rig.dir / "cut";
        RunResult r;
        // Each run gets further; a folder that failed is fetched by the next run.
        for (int i = 0; i < 5; ++i) {
            r = rig.fetch(cache, proxy.port());
            if (r.exit_code == 0) break;
        }
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        rig.require_complete(cache);
        int drops = 0;
        for (const auto& l : proxy.log_lines()) drops += l.find("kind=drop") != std::string::npos;
        CHECK(drops >= 2);
    }
    SECTION("80 ms each way") {
        FaultProxy proxy(rig.dovecot.imaps_port(), rig.dovecot.dir() + "/ssl", {"--latency-ms", "80"});
        const std::string cache = rig.dir / "slow";
        auto r = rig.fetch(cache, proxy.port());
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        rig.require_complete(cache);
    }
}

TEST_CASE("a full disk stops fetch with a clear error, a consistent cache, and a resume once there is room",
          "[faults][disk]") {
    if (::geteuid() != 0) {
        WARN("not root: cannot mount a small tmpfs, so the full-disk case is not run here (CI runs as root)");
        return;
    }
    Rig rig;
    const std::string mnt = rig.dir / "small";
    fs::create_directories(mnt);
    REQUIRE(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1536k,mode=0700") == 0);
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{mnt};
    const std::string cache = mnt + "/cache";
    auto full = rig.fetch(cache, rig.dovecot.imaps_port());
    INFO(full.err);
    CHECK(full.exit_code == 6);
    // Whichever write meets the full disk first says so: a message file (errno) or the index (SQLite).
    CHECK((full.err.find("No space left on device") != std::string::npos ||
           full.err.find("the disk is full") != std::string::npos));
    // Consistent: every row has its file (verify may still see tmp/ leftovers to clean).
    for (const auto& r : read_cache_messages(cache)) CHECK(fs::exists(cache + "/" + r.path));

    REQUIRE(::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT, "size=64m,mode=0700") == 0);
    auto resumed = rig.fetch(cache, rig.dovecot.imaps_port());
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    rig.require_complete(cache);
    CHECK(run_mailferry({"verify", cache}).exit_code == 0);
}
