// Air-gapped review: the whole dev corpus fetched, indexed and searched
// offline; show gives readable text, headers or the exact bytes.
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

const std::string kPassword = "review pw";

json search(const std::string& cache, std::vector<std::string> args) {
    std::vector<std::string> all = {"search", cache};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back("--json");
    auto r = run_mailferry(all);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

std::set<std::string> folders_of(const json& hits) {
    std::set<std::string> out;
    for (const auto& h : hits) out.insert(h["folder"].get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("the whole dev corpus is indexed as it is fetched, and found by subject, body, sender and attachment",
          "[review][corpus]") {
    TestDovecot server(DovecotOptions{"dovecot", {"alice:" + kPassword}, true});
    load_corpus(server, "alice", kPassword);
    TempDir dir;
    const std::string cache = dir / "cache";
    auto fetched = run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(server.imaps_port()),
                                  "--password-file", write_secret_file(dir / "pw", kPassword), "--ca-file",
                                  server.ca_file(), "--no-progress", "--json"});
    INFO(fetched.err);
    REQUIRE(fetched.exit_code == 0);
    json f = json::parse(fetched.out);
    const size_t messages = read_cache_messages(cache).size();
    CHECK(f["text_indexed"] == messages);  // malformed included: none is fatal
    CHECK(f["text_unparsed"].get<int>() < 20);

    // A subject word, decoded from ISO-2022-JP encoded words.
    CHECK(folders_of(search(cache, {"subject:日本語メールテスト"})).count("eml/mimekit-messages") == 1);
    // Words that exist only inside a base64 EUC-JP part and an 8-bit KOI8-R body.
    CHECK(folders_of(search(cache, {"世界人権宣言*"})).count("malformed/dovecot-via-stalwart-thirdparty") == 1);
    CHECK(folders_of(search(cache, {"РЕКЛАМНАЯ"})) == std::set<std::string>{"malformed/mailman3"});
    // By sender, decoded (KOI8-R encoded words), and with --from on the raw header.
    CHECK(folders_of(search(cache, {"sender:Рекреативное"})) == std::set<std::string>{"malformed/mailman3"});
    auto by_from = search(cache, {"", "--from", "eolivelli@apache.org", "--limit", "1000"});
    CHECK(by_from.size() >= 2);
    for (const auto& h : by_from) CHECK(h["from"].get<std::string>().find("olivelli") != std::string::npos);
    // Attachment names (RFC 2231, RFC 2047), never attachment contents.
    CHECK(folders_of(search(cache, {"attachments:nyan"})).count("eml/nodemailer-mailparser") == 1);
    CHECK(folders_of(search(cache, {"attachments:Список"})).count("eml/mime4j-mimetools") == 1);
    // Field filters narrow a query; dates bound it.
    auto lists = search(cache, {"release", "--folder", "Lists/*", "--limit", "1000"});
    CHECK_FALSE(lists.empty());
    for (const auto& h : lists) CHECK(h["folder"].get<std::string>().rfind("Lists/", 0) == 0);
    CHECK(search(cache, {"release", "--before", "1971-01-01"}).empty());

    // show: readable text, the header section, the exact bytes.
    const int64_t id = lists[0]["id"];
    auto text = run_mailferry({"show", cache, std::to_string(id)});
    REQUIRE(text.exit_code == 0);
    CHECK(text.out.rfind("From:    ", 0) == 0);
    CHECK(text.out.find("Subject: " + lists[0]["subject"].get<std::string>()) != std::string::npos);
    auto raw = run_mailferry({"show", cache, std::to_string(id), "--raw"});
    REQUIRE(raw.exit_code == 0);
    std::ofstream(dir / "raw", std::ios::binary) << raw.out;
    const std::string raw_sha = sha256_of_file(dir / "raw");
    const auto rows = read_cache_messages(cache);
    CHECK(std::any_of(rows.begin(), rows.end(), [&](const CachedMessageRow& r) { return r.sha256 == raw_sha; }));
    auto headers = run_mailferry({"show", cache, std::to_string(id), "--headers"});
    CHECK(headers.out.size() < raw.out.size());
    CHECK(raw.out.rfind(headers.out, 0) == 0);
    CHECK(run_mailferry({"show", cache, "99999999"}).exit_code != 0);

    // A broken query is one clear line and exit code 2; reindex rebuilds the same index.
    auto bad = run_mailferry({"search", cache, "release AND ("});
    CHECK(bad.exit_code == 2);
    CHECK(std::count(bad.err.begin(), bad.err.end(), '\n') == 1);
    auto re = run_mailferry({"reindex", cache, "--json"});
    REQUIRE(re.exit_code == 0);
    CHECK(json::parse(re.out)["indexed"] == messages);
    CHECK(search(cache, {"release", "--folder", "Lists/*", "--limit", "1000"}).size() == lists.size());
}
