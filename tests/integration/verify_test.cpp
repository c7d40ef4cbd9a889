// mailferry verify: a flipped byte, a deleted file, an orphan, a tmp/ leftover.
#include <catch2/catch.hpp>

#include <boost/filesystem.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support.hpp"
#include "test_dovecot.hpp"

using namespace mailferry::test;
namespace fs = boost::filesystem;
using nlohmann::json;

namespace {

const std::string kPassword = "verify pw";

json verify(const std::string& cache, std::vector<std::string> extra, int expected_exit) {
    std::vector<std::string> args = {"verify", cache, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_mailferry(args);
    INFO(r.err);
    REQUIRE(r.exit_code == expected_exit);
    return json::parse(r.out);
}

}  // namespace

TEST_CASE("verify finds a flipped byte, a deleted file, an orphan and a tmp leftover, and repair fixes what it can",
          "[verify]") {
    TestDovecot server(DovecotOptions{"dovecot", {"alice:" + kPassword}, true});
    server.load_maildir("alice", generated_maildirpp());
    TempDir dir;
    const std::string cache = dir / "cache";
    auto fetched = run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(server.imaps_port()),
                                  "--password-file", write_secret_file(dir / "pw", kPassword), "--ca-file",
                                  server.ca_file(), "--no-progress"});
    REQUIRE(fetched.exit_code == 0);
    auto rows = read_cache_messages(cache);
    REQUIRE(rows.size() > 100);

    json clean = verify(cache, {}, 0);
    CHECK(clean["intact"] == true);
    CHECK(clean["messages_checked"] == rows.size());

    // A flipped byte, a deleted file, an orphan (its row gone), a tmp/ leftover.
    const std::string flipped = rows[10].path, deleted = rows[20].path, orphan = rows[30].path;
    {
        std::fstream f(cache + "/" + flipped, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(40);
        char c = 0;
        f.get(c);
        f.seekp(40);
        f.put(char(c ^ 0x20));
    }
    fs::remove(cache + "/" + deleted);
    cache_sql(cache, "DELETE FROM messages WHERE path = '" + orphan + "'");
    std::ofstream(cache + "/mail/tmp/1700000000.leftover") << "half a message";
    std::ofstream(cache + "/mail/cur/notes.txt") << "someone's notes";

    json broken = verify(cache, {}, 1);
    CHECK(broken["intact"] == false);
    CHECK(broken["counts"]["changed"] == 1);
    CHECK(broken["counts"]["missing"] == 1);
    CHECK(broken["counts"]["orphan"] == 1);
    CHECK(broken["counts"]["tmp"] == 1);
    CHECK(broken["counts"]["foreign"] == 1);
    std::map<std::string, std::string> kind_of;
    for (const auto& p : broken["problems"]) kind_of[p["path"]] = p["kind"];
    CHECK(kind_of[flipped] == "changed");
    CHECK(kind_of[deleted] == "missing");
    CHECK(kind_of[orphan] == "orphan");

    json repaired = verify(cache, {"--repair"}, 1);  // changed and missing cannot be repaired here
    CHECK(repaired["repaired"]["orphans_adopted"] == 1);
    CHECK(repaired["repaired"]["tmp_removed"] == 1);
    CHECK(repaired["counts"]["orphan"] == 0);
    CHECK(repaired["counts"]["tmp"] == 0);
    CHECK(repaired["counts"]["changed"] == 1);
    CHECK(repaired["counts"]["missing"] == 1);
    CHECK(repaired["counts"]["foreign"] == 1);
    CHECK(read_cache_messages(cache).size() == rows.size());
    CHECK(fs::exists(cache + "/mail/cur/notes.txt"));

    auto human = run_mailferry({"verify", cache});
    CHECK(human.exit_code == 1);
    CHECK(human.out.find("NOT intact") != std::string::npos);
    CHECK(human.out.find("changed: " + flipped) != std::string::npos);
}
