// Air-gapped review: show saves attachments as files; search orders, limits
// and bounds its hits, and says what the index does not hold yet. The whole
// corpus searched: review_corpus_test.cpp.
#include <catch2/catch.hpp>

#include <boost/filesystem.hpp>
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <vector>
#include <nlohmann/json.hpp>

#include "support.hpp"
#include "test_corpus.hpp"
#include "test_dovecot.hpp"
#include "test_files.hpp"

using namespace mailferry::test;
namespace fs = boost::filesystem;
using nlohmann::json;

namespace {

json search(const std::string& cache, std::vector<std::string> args) {
    std::vector<std::string> all = {"search", cache};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back("--json");
    auto r = run_mailferry(all);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

// Every regular file below root with its SHA-256, paths relative to root, skipping the subtrees in skip.
std::map<std::string, std::string> files_below(const std::string& root, const std::set<std::string>& skip) {
    std::map<std::string, std::string> out;
    for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
        std::string rel = fs::relative(it->path(), root).string();
        if (skip.count(rel)) {
            it.disable_recursion_pending();
            continue;
        }
        if (fs::is_regular_file(it->symlink_status())) out[rel] = sha256_of_file(it->path().string());
    }
    return out;
}

// One attachment as Python's email package decodes it (a MIME parser that is not ours).
struct Decoded {
    std::string sha256, content_type;
    uint64_t bytes = 0;
    bool operator==(const Decoded&) const = default;
};

// The attachments of a message file as Python decodes them, into dir/<n> (the
// build needs python3 anyway: it makes the generated corpus).
std::vector<Decoded> python_decoded(const std::string& message, const std::string& dir) {
    fs::create_directories(dir);
    const std::string script =
        "import email, sys\n"
        "m = email.message_from_binary_file(open(sys.argv[1], 'rb'))\n"
        "parts = [p for p in m.walk() if p.get_filename()]\n"
        "for i, p in enumerate(parts):\n"
        "    open(sys.argv[2] + '/' + str(i), 'wb').write(p.get_payload(decode=True))\n"
        "    open(sys.argv[2] + '/' + str(i) + '.type', 'w').write(p.get_content_type())\n";
    std::ofstream(dir + "/decode.py") << script;
    REQUIRE(std::system(("python3 '" + dir + "/decode.py' '" + message + "' '" + dir + "'").c_str()) == 0);
    std::vector<Decoded> out;
    for (int i = 0; fs::exists(dir + "/" + std::to_string(i)); ++i) {
        const std::string part = dir + "/" + std::to_string(i);
        out.push_back({sha256_of_file(part), slurp(part + ".type"), fs::file_size(part)});
    }
    return out;
}

// What show --save-attachments --json says it saved.
std::vector<Decoded> saved_as_json(const json& j, const std::string& dir) {
    std::vector<Decoded> out;
    for (const auto& a : j["attachments"])
        out.push_back({sha256_of_file(dir + "/" + a["file"].get<std::string>()), a["content_type"], a["bytes"]});
    return out;
}

}  // namespace

TEST_CASE("show --save-attachments saves decoded attachments inside DIR only and never overwrites", "[review][attachments]") {
    TempDir dir;
    // Copies: the corpus is never written to. A generated message with a PDF and
    // a PNG attachment (base64), and one made here whose names try to leave DIR.
    const std::string in = dir / "in";
    fs::create_directories(in);
    const std::string mixed_message = in + "/mixed.eml";
    fs::copy_file(generated_corpus_dir() + "/eml/structure/mixed.eml", mixed_message);
    std::ofstream(in + "/hostile.eml", std::ios::binary)
        << "From: m@example.com\r\nSubject: hostile names\r\nMessage-ID: <hostile@example.com>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
           "--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
           "--x\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"../../escaped.txt\"\r\n\r\n"
           "up and out\r\n"
           "--x\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: quoted-printable\r\n"
           "Content-Disposition: attachment; filename*=UTF-8''%2Fetc%2Fpasswd%0A\r\n\r\nroot=3Ax=3A0\r\n"
           "--x--\r\n";
    const std::string cache = dir / "cache";
    auto imported = run_mailferry({"import", cache, in, "--no-progress"});
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    auto mixed_hits = search(cache, {"attachments:quay*"});
    auto hostile_hits = search(cache, {"subject:hostile"});
    REQUIRE(mixed_hits.size() == 1);
    REQUIRE(hostile_hits.size() == 1);
    const std::string mixed_id = std::to_string(mixed_hits[0]["id"].get<int64_t>());
    const std::string hostile_id = std::to_string(hostile_hits[0]["id"].get<int64_t>());

    const std::string out = dir / "review/attachments";  // its parent is missing too
    const auto before = files_below(dir.path, {"review", "cache"});
    const auto cached_before = message_files(cache);
    auto first = run_mailferry({"show", cache, mixed_id, "--save-attachments", out, "--json"});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    json j = json::parse(first.out);
    REQUIRE(j["saved"] == 2);
    CHECK(j["complete"] == true);
    CHECK(j["attachments"][0]["file"] == "quay-survey.pdf");
    CHECK(j["attachments"][0]["name"] == "quay-survey.pdf");
    CHECK(j["attachments"][1]["file"] == "crane.png");
    // The bytes, sizes and types Python's email package decodes from the same message.
    const auto saved = saved_as_json(j, out);
    CHECK(saved == python_decoded(mixed_message, dir / "python"));
    CHECK(mode_of(out) == 0700);
    CHECK(mode_of(out + "/quay-survey.pdf") == 0600);

    // A second run writes new files beside the first ones.
    auto second = run_mailferry({"show", cache, mixed_id, "--save-attachments", out});
    INFO(second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(second.out.find("saved quay-survey (2).pdf  " + std::to_string(saved[0].bytes) + " bytes") !=
          std::string::npos);
    CHECK(second.out.find("2 attachment(s) saved in " + out) != std::string::npos);
    CHECK(sha256_of_file(out + "/quay-survey.pdf") == saved[0].sha256);
    CHECK(sha256_of_file(out + "/quay-survey (2).pdf") == saved[0].sha256);
    CHECK(sha256_of_file(out + "/crane (2).png") == saved[1].sha256);

    // Names that try to leave DIR stay inside it, sanitised; the bytes are decoded.
    auto hostile = run_mailferry({"show", cache, hostile_id, "--save-attachments", out, "--json"});
    INFO(hostile.err);
    REQUIRE(hostile.exit_code == 0);
    json h = json::parse(hostile.out);
    REQUIRE(h["saved"] == 2);
    CHECK(h["attachments"][0]["file"] == "_._.._escaped.txt");
    CHECK(h["attachments"][0]["name"] == "../../escaped.txt");
    CHECK(h["attachments"][1]["file"] == "_etc_passwd");
    std::ifstream passwd(out + "/_etc_passwd", std::ios::binary);
    CHECK(std::string(std::istreambuf_iterator<char>(passwd), {}) == "root:x:0");
    std::set<std::string> in_out;
    for (const auto& e : fs::directory_iterator(out)) in_out.insert(e.path().filename().string());
    CHECK(in_out == std::set<std::string>{"quay-survey.pdf", "quay-survey (2).pdf", "crane.png", "crane (2).png",
                                          "_._.._escaped.txt", "_etc_passwd"});
    // Nothing was written anywhere else: not beside DIR, not in the cache's mail.
    CHECK(files_below(dir.path, {"review", "cache", "python"}) == before);
    CHECK(files_below(dir / "review", {"attachments"}).empty());
    CHECK(message_files(cache) == cached_before);
    CHECK_FALSE(fs::exists(dir / "escaped.txt"));
    CHECK_FALSE(fs::exists(dir / "review/escaped.txt"));

    // A message without attachments says so, exit 0, and makes no directory.
    std::ofstream(in + "/plain.eml", std::ios::binary) << "From: p@example.com\r\nSubject: plain only\r\n\r\nno files\r\n";
    REQUIRE(run_mailferry({"import", cache, in, "--no-progress"}).exit_code == 0);
    const std::string plain_id = std::to_string(search(cache, {"subject:plain"})[0]["id"].get<int64_t>());
    auto plain = run_mailferry({"show", cache, plain_id, "--save-attachments", dir / "empty"});
    CHECK(plain.exit_code == 0);
    CHECK(plain.out == "no attachments in message " + plain_id + "\n");
    CHECK_FALSE(fs::exists(dir / "empty"));

    // Usage errors: DIR inside the cache, or with --raw.
    auto inside = run_mailferry({"show", cache, mixed_id, "--save-attachments", cache + "/mail/att"});
    CHECK(inside.exit_code == 2);
    CHECK_FALSE(fs::exists(cache + "/mail/att"));
    CHECK(run_mailferry({"show", cache, mixed_id, "--raw", "--save-attachments", out}).exit_code == 2);
    CHECK(run_mailferry({"show", cache, mixed_id, "--json"}).exit_code == 2);
}

TEST_CASE("a search says how many messages the index does not hold yet, and reindex adds them", "[review]") {
    TempDir dir;
    const std::string in = dir / "in";
    fs::create_directories(in);
    fs::copy_file(generated_corpus_dir() + "/eml/structure/mixed.eml", in + "/a.eml");
    const std::string cache = dir / "cache";
    auto imported = run_mailferry({"import", cache, in, "--no-progress", "--no-index"});
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);

    auto before = run_mailferry({"search", cache, "attachments:quay*", "--json"});
    CHECK(before.exit_code == 0);
    CHECK(json::parse(before.out).empty());
    CHECK(before.err.find("1 message(s) are not in the full-text index yet") != std::string::npos);

    REQUIRE(run_mailferry({"reindex", cache, "--no-progress"}).exit_code == 0);
    auto after = run_mailferry({"search", cache, "attachments:quay*", "--json"});
    CHECK(after.exit_code == 0);
    CHECK(json::parse(after.out).size() == 1);
    CHECK(after.err.empty());
}

namespace {

std::string utc(int64_t t, const char* format) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

std::vector<int64_t> ids_of(const json& hits) {
    std::vector<int64_t> out;
    for (const auto& h : hits) out.push_back(h["id"].get<int64_t>());
    return out;
}

}  // namespace

TEST_CASE("search lists matches newest or oldest first, stops at its limit, and keeps to --since and --before",
          "[review]") {
    TempDir dir;
    const std::string cache = dir.path + "/cache";
    // 40 messages on 20 days, not in date order, two received in the same
    // second on each day; every one says "lantern", the even ones "night crossing".
    constexpr int64_t kJan1 = 1577836800;  // 2020-01-01T00:00:00Z
    std::vector<int64_t> received;
    std::string mbox;
    for (int i = 0; i < 40; ++i) {
        int64_t t = kJan1 + (i * 17 % 40 / 2) * 86400 + 3600;
        received.push_back(t);
        mbox += "From ferry@example.org " + utc(t, "%a %b %e %H:%M:%S %Y") + "\n" +
                "From: ferry@example.org\nDate: " + utc(t, "%a, %d %b %Y %H:%M:%S +0000") +
                "\nSubject: crossing " + std::to_string(i) + "\nMessage-ID: <" + std::to_string(i) +
                "@example.org>\n\nA lantern on deck" + (i % 2 == 0 ? ", a night crossing." : ".") + "\n\n";
    }
    std::ofstream(dir.path + "/ferry.mbox", std::ios::binary) << mbox;
    auto imported = run_mailferry({"import", cache, dir.path + "/ferry.mbox", "--no-progress"});
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    REQUIRE(cache_sql(cache, "SELECT count(*) FROM messages WHERE received_from = 'from_line' OR "
                             "received_from = 'date'") == 40);

    auto dates_of = [](const json& hits) {
        std::vector<std::string> out;
        for (const auto& h : hits) out.push_back(h["date"].get<std::string>());
        return out;
    };
    auto newest = search(cache, {"lantern", "--limit", "1000"});
    REQUIRE(newest.size() == 40);
    auto dates = dates_of(newest);
    CHECK(std::is_sorted(dates.rbegin(), dates.rend()));
    CHECK(dates.front() == utc(*std::max_element(received.begin(), received.end()), "%Y-%m-%dT%H:%M:%SZ"));
    auto oldest = search(cache, {"lantern", "--sort", "oldest", "--limit", "1000"});
    auto oldest_dates = dates_of(oldest);
    CHECK(std::is_sorted(oldest_dates.begin(), oldest_dates.end()));
    auto newest_ids = ids_of(newest);
    auto oldest_ids = ids_of(oldest);
    CHECK(std::set<int64_t>(newest_ids.begin(), newest_ids.end()) ==
          std::set<int64_t>(oldest_ids.begin(), oldest_ids.end()));

    // A limit gives the first of the whole list, not any five matches.
    auto five = ids_of(search(cache, {"lantern", "--limit", "5"}));
    CHECK(five == std::vector<int64_t>(newest_ids.begin(), newest_ids.begin() + 5));
    auto first_five = ids_of(search(cache, {"lantern", "--sort", "oldest", "--limit", "5"}));
    CHECK(first_five == std::vector<int64_t>(oldest_ids.begin(), oldest_ids.begin() + 5));

    // A phrase in half of them: the three newest of that half.
    std::vector<int64_t> even;
    for (int i = 0; i < 40; i += 2) even.push_back(received[i]);
    std::sort(even.rbegin(), even.rend());
    auto phrase = search(cache, {"\"night crossing\"", "--limit", "3"});
    REQUIRE(phrase.size() == 3);
    for (size_t k = 0; k < 3; ++k) CHECK(phrase[k]["date"] == utc(even[k], "%Y-%m-%dT%H:%M:%SZ"));

    // Days 5 to 8 of January: four days of two messages, whatever the order.
    for (const char* order : {"newest", "oldest", "relevance"}) {
        auto days = search(cache, {"lantern", "--since", "2020-01-05", "--before", "2020-01-09", "--sort", order});
        CHECK(days.size() == 8);
        for (const auto& d : dates_of(days)) CHECK((d >= "2020-01-05" && d < "2020-01-09"));
    }
    CHECK(search(cache, {"", "--since", "2020-01-05", "--before", "2020-01-09"}).size() == 8);
    CHECK(search(cache, {"lantern", "--before", "2020-01-01"}).empty());
    CHECK(search(cache, {"lantern", "--since", "2020-01-21"}).empty());
}

TEST_CASE("two messages received in the same second never share a place in the index", "[review]") {
    TempDir dir;
    const std::string cache = dir.path + "/cache";
    std::string mbox;
    for (int i = 0; i < 3; ++i)
        mbox += "From ferry@example.org Wed Jan  1 01:00:00 2020\nFrom: ferry@example.org\n"
                "Date: Wed, 01 Jan 2020 01:00:00 +0000\nSubject: same second " + std::to_string(i) +
                "\n\nA lantern.\n\n";
    std::ofstream(dir.path + "/same.mbox", std::ios::binary) << mbox;
    REQUIRE(run_mailferry({"import", cache, dir.path + "/same.mbox", "--no-index"}).exit_code == 0);
    // Message 3's key (its second, then the low bits of its id) held by message 1,
    // as if it had been given before: message 3 takes the next free one.
    const int64_t second_key = cache_sql(cache, "SELECT received_at << 20 FROM messages WHERE id = 3");
    cache_sql(cache, "UPDATE messages SET text_state = 1, text_key = received_at << 20 | 3 WHERE id = 1");
    REQUIRE(run_mailferry({"import", cache, dir.path + "/same.mbox"}).exit_code == 0);
    CHECK(cache_sql(cache, "SELECT text_key FROM messages WHERE id = 2") == (second_key | 2));
    CHECK(cache_sql(cache, "SELECT text_key FROM messages WHERE id = 3") == (second_key | 4));
    auto hits = search(cache, {"lantern"});
    CHECK(ids_of(hits) == std::vector<int64_t>{3, 2});  // message 1 has no row: it was only planted
}
