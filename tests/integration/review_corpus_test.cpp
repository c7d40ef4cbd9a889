// Air-gapped review of a whole corpus: the generated one fetched, indexed and
// searched offline. What to search for comes from MANIFEST.json: the words
// each message's body holds only once decoded (base64 KOI8-R, a made-up token
// in a base64 HTML part...), RFC 2047 subjects and senders, attachment names.
#include <catch2/catch.hpp>

#include <boost/filesystem.hpp>
#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <vector>
#include <nlohmann/json.hpp>

#include "support.hpp"
#include "test_corpus.hpp"
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

// (folder, record) for every message load_corpus serves: the Maildir++ tree's
// folders, "Imported/<group>/<file>" per mbox file (a gzip one is not served),
// the message-file groups under their own paths.
std::vector<std::pair<std::string, json>> served_records() {
    std::vector<std::pair<std::string, json>> out;
    for (const auto& c : generated_manifest().at("containers")) {
        const std::string path = c.at("path"), kind = c.at("kind");
        if (kind == "maildir++") {
            for (const auto& f : c.at("folders"))
                for (const auto& m : f.at("messages")) out.emplace_back(f.at("name").get<std::string>(), m);
        } else if (kind == "mbox" && !c.at("gzip").get<bool>()) {
            fs::path p(path);
            for (const auto& m : c.at("messages"))
                out.emplace_back("Imported/" + p.parent_path().filename().string() + "/" + p.stem().string(), m);
        } else if (kind == "eml-folder") {
            for (const auto& m : c.at("messages")) out.emplace_back(path, m);
        }
    }
    return out;
}

bool is_cjk(const std::string& word) {
    // UTF-8 lead bytes 0xE3-0xE9 start U+3000-U+9FFF: kana and the common Han ideographs.
    return std::any_of(word.begin(), word.end(), [](char c) {
        auto b = static_cast<unsigned char>(c);
        return b >= 0xE3 && b <= 0xE9;
    });
}

// The longest run of letters and digits in text, as the index's tokenizer
// (unicode61) would keep a token of it: ASCII punctuation, spaces and U+2000-U+206F
// (’, –) separate; other non-ASCII characters count as letters.
std::string longest_token(const std::string& text) {
    std::string best, run;
    for (size_t i = 0; i < text.size(); ++i) {
        auto b = static_cast<unsigned char>(text[i]);
        bool general_punctuation = b == 0xE2 && i + 1 < text.size() &&
                                   (static_cast<unsigned char>(text[i + 1]) & 0xFE) == 0x80;
        bool letter = b >= 0x80 ? !general_punctuation : std::isalnum(b) != 0;
        if (general_punctuation) i += 2;
        if (letter) {
            run += text[i];
        } else {
            if (run.size() > best.size()) best = run;
            run.clear();
        }
    }
    return run.size() > best.size() ? run : best;
}

// query -> the folders that must be among its hits.
using Expectations = std::map<std::string, std::set<std::string>>;

// Body words (as phrases: some hold an apostrophe), RFC 2047 subjects and
// senders, attachment names. A CJK word inside a sentence is no token of its
// own for unicode61 (it splits only at punctuation), so only whole CJK
// subjects are searched; extract_text's own test (unit) checks those words.
Expectations expectations() {
    Expectations out;
    for (const auto& [folder, m] : served_records()) {
        const auto traits = m.at("traits").get<std::set<std::string>>();
        for (const auto& w : m.at("words"))
            if (!is_cjk(w)) out["\"" + w.get<std::string>() + "\""].insert(folder);
        if (traits.count("rfc2047-subject") && m.at("subject").is_string())
            out["subject:" + longest_token(m.at("subject"))].insert(folder);
        if (traits.count("rfc2047-from") && m.at("from").is_string()) {
            std::string name = m.at("from").get<std::string>();
            out["sender:" + longest_token(name.substr(0, name.find('<')))].insert(folder);
        }
        for (const auto& a : m.at("attachments")) out["attachments:" + longest_token(a)].insert(folder);
    }
    return out;
}

}  // namespace

TEST_CASE("the whole generated corpus is indexed as it is fetched, and found by body words, subject, sender "
          "and attachment name",
          "[review][corpus]") {
    TestDovecot server(DovecotOptions{"dovecot", {"alice:" + kPassword}, true});
    load_corpus(server, generated_corpus_dir(), "alice", kPassword);
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
    size_t incomplete = 0;
    for (const auto& [folder, m] : served_records())
        incomplete += m.at("traits").get<std::set<std::string>>().count("text-incomplete");
    CHECK(f["text_unparsed"].get<size_t>() <= incomplete);

    const auto expected = expectations();
    REQUIRE(expected.size() > 50);
    for (const auto& [query, folders] : expected) {
        CAPTURE(query);
        auto found = folders_of(search(cache, {query, "--limit", "5000"}));
        for (const auto& folder : folders) {
            CAPTURE(folder);
            CHECK(found.count(folder) == 1);
        }
    }
}

TEST_CASE("search filters by folder, sender address and date, and show gives text, headers and the exact bytes",
          "[review][corpus]") {
    TestDovecot server(DovecotOptions{"dovecot", {"alice:" + kPassword}, true});
    server.load_maildir("alice", generated_maildirpp());
    TempDir dir;
    const std::string cache = dir / "cache";
    auto fetched = run_mailferry({"fetch", cache, "--from", "imaps://alice@127.0.0.1:" + std::to_string(server.imaps_port()),
                                  "--password-file", write_secret_file(dir / "pw", kPassword), "--ca-file",
                                  server.ca_file(), "--no-progress"});
    INFO(fetched.err);
    REQUIRE(fetched.exit_code == 0);

    // A folder filter: the list folder's messages, all of them, and nothing else.
    auto lists = search(cache, {"", "--folder", "Lists/*", "--limit", "1000"});
    CHECK(folders_of(lists) == std::set<std::string>{"Lists/dev@example.org"});
    size_t in_list = 0;
    std::map<std::string, size_t> by_sender;
    for (const auto& [folder, m] : served_records()) {
        if (folder != "Lists/dev@example.org") continue;
        ++in_list;
        std::string from = m.at("from");
        ++by_sender[from.substr(from.find('<') + 1, from.find('>') - from.find('<') - 1)];
    }
    CHECK(lists.size() == in_list);
    // The sender with the most list mail, by the raw From: header.
    auto busiest = std::max_element(by_sender.begin(), by_sender.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
    auto by_from = search(cache, {"", "--from", busiest->first, "--folder", "Lists/*", "--limit", "1000"});
    CHECK(by_from.size() == busiest->second);
    for (const auto& h : by_from) CHECK(h["from"].get<std::string>().find(busiest->first) != std::string::npos);
    // Dates bound a search: the one message received before 1970 is all there is before 1971.
    auto old = search(cache, {"", "--before", "1971-01-01"});
    REQUIRE(old.size() == 1);
    CHECK(old[0]["folder"] == "INBOX");
    // Its file's mtime is in 1969; Dovecot gives a time before the epoch as the
    // epoch itself in INTERNALDATE, and the cache keeps what the server said.
    CHECK(old[0]["date"].get<std::string>() <= "1970-01-01T00:00:00Z");

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
    CHECK(json::parse(re.out)["indexed"] == rows.size());
    CHECK(search(cache, {"", "--folder", "Lists/*", "--limit", "1000"}).size() == lists.size());
}
