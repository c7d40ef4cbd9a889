// Reading a cache while a fetch writes it (issue 14, item 2): status, search
// and show open the cache read-only, take no lock and answer from one
// snapshot; a second writer is refused with a clear message. The fetch goes
// through the fault proxy with latency so that it lasts long enough for the
// readers to run many times beside it; a flag change on the server makes it
// rename files that the readers may be about to read.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "support.hpp"
#include "test_corpus.hpp"
#include "test_dovecot.hpp"

using namespace mailferry::test;

namespace {

const std::string kUser = "carol";
const std::string kPassword = "reading while writing 5";

struct Rig {
    TestDovecot dovecot{DovecotOptions{"dovecot", {kUser + ":" + kPassword}, false}};
    TempDir dir;
    std::string cache = dir / "cache";
    std::string password_file = write_secret_file(dir / "password", kPassword);

    std::vector<std::string> fetch_args(int port, std::vector<std::string> extra = {}) const {
        std::vector<std::string> a = {"fetch", cache, "--from", "imaps://" + kUser + "@127.0.0.1:" + std::to_string(port),
                                      "--password-file", password_file, "--ca-file", dovecot.ca_file(), "--no-progress"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
};

// Per folder (raw name), the messages a status --json reports.
std::map<std::string, int64_t> folder_counts(const nlohmann::json& status) {
    std::map<std::string, int64_t> out;
    for (const auto& f : status["folders"]) out[f["raw_name"].get<std::string>()] = f["messages"].get<int64_t>();
    return out;
}

// Whether some process holds a flock(2) on path, asked of /proc/locks: taking
// the lock to find out would itself turn a starting fetch away.
bool flock_held(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return false;
    std::ifstream locks("/proc/locks");
    const std::string inode = ":" + std::to_string(st.st_ino) + " ";
    for (std::string line; std::getline(locks, line);)
        if (line.find("FLOCK") != std::string::npos && line.find(inode) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("status, search and show read a cache while a fetch writes it, and a second writer is refused",
          "[read-only][fetch]") {
    Rig rig;
    load_corpus(rig.dovecot, generated_corpus_dir(), kUser, kPassword);
    // A first fetch of INBOX makes the cache; then new flags on the server,
    // which the full fetch below applies by renaming INBOX's files.
    auto first = run_mailferry(rig.fetch_args(rig.dovecot.imaps_port(), {"--folder", "INBOX"}));
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    imap_command(rig.dovecot.imaps_port(), kUser, kPassword, "INBOX", "UID STORE 1:* +FLAGS (\\Flagged $Reviewed)");
    auto inbox = run_mailferry({"search", rig.cache, "--folder", "INBOX", "--limit", "20", "--json"});
    REQUIRE(inbox.exit_code == 0);
    std::vector<int64_t> ids;
    for (const auto& hit : nlohmann::json::parse(inbox.out)) ids.push_back(hit["id"].get<int64_t>());
    REQUIRE(ids.size() >= 5);

    FaultProxy slow(rig.dovecot.imaps_port(), rig.dovecot.dir() + "/ssl", {"--latency-ms", "40"});
    BackgroundRun fetch(rig.fetch_args(slow.port(), {"--connections", "1"}));
    int rounds_during_fetch = 0;
    bool second_writer_checked = false;
    std::map<std::string, int64_t> last_counts;
    int64_t last_total = 0;
    std::map<int64_t, std::string> raw_read;  // id -> bytes show --raw gave during the fetch
    while (fetch.running()) {
        auto status = run_mailferry({"status", rig.cache, "--json"});
        INFO(status.err);
        REQUIRE(status.exit_code == 0);
        auto j = nlohmann::json::parse(status.out);
        // One snapshot: the total is its folders' sum, and nothing fetched goes missing later.
        int64_t total = j["messages"].get<int64_t>();
        auto counts = folder_counts(j);
        int64_t sum = 0;
        for (const auto& [name, n] : counts) {
            sum += n;
            CAPTURE(name);
            CHECK(n >= last_counts[name]);
        }
        CHECK(sum == total);
        CHECK(total >= last_total);
        last_counts = counts;
        last_total = total;

        auto search = run_mailferry({"search", rig.cache, "body", "--limit", "5", "--json"});
        INFO(search.err);
        CHECK(search.exit_code == 0);

        const int64_t id = ids[static_cast<size_t>(rounds_during_fetch) % ids.size()];
        auto shown = run_mailferry({"show", rig.cache, std::to_string(id), "--raw"});
        INFO(shown.err);
        CHECK(shown.exit_code == 0);
        CHECK_FALSE(shown.out.empty());
        if (shown.exit_code == 0) raw_read.emplace(id, shown.out);

        if (!second_writer_checked && fetch.running() && flock_held(rig.cache + "/lock")) {
            auto second = run_mailferry(rig.fetch_args(rig.dovecot.imaps_port()));
            if (fetch.running()) {  // else the refusal may not have met the first
                CHECK(second.exit_code == 2);
                CHECK(second.err.find("in use by another mailferry run") != std::string::npos);
                CHECK(std::count(second.err.begin(), second.err.end(), '\n') == 1);
                second_writer_checked = true;
            }
        }
        if (fetch.running()) ++rounds_during_fetch;
    }
    auto fetched = fetch.finish();
    INFO(fetched.err);
    CHECK(fetched.exit_code == 0);
    // The readers ran beside the writer, not only before or after it.
    CHECK(rounds_during_fetch >= 3);
    CHECK(second_writer_checked);

    // What was read mid-fetch is each message's bytes as they are at rest.
    for (const auto& [id, bytes] : raw_read) {
        auto now = run_mailferry({"show", rig.cache, std::to_string(id), "--raw"});
        REQUIRE(now.exit_code == 0);
        CAPTURE(id);
        CHECK(now.out == bytes);
    }
    auto final_status = nlohmann::json::parse(run_mailferry({"status", rig.cache, "--json"}).out);
    CHECK(final_status["messages"].get<int64_t>() == static_cast<int64_t>(read_cache_messages(rig.cache).size()));
    CHECK(final_status["messages"].get<int64_t>() >= last_total);
}
