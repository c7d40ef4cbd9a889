// What the import tests share: running `mailferry import`, reading a cache's
// rows with their source, and the Maildir facts (flags from file names,
// keyword letters) a test compares an import with.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <utime.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "formats/mbox/mbox_reader.hpp"
#include "support.hpp"
#include "test_files.hpp"
#include "wrap/sha256.hpp"

namespace mailferry::test::imports {

namespace fs = std::filesystem;

inline void spill(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

inline void set_mtime(const std::string& path, int64_t t) {
    struct utimbuf times {static_cast<time_t>(t), static_cast<time_t>(t)};
    REQUIRE(utime(path.c_str(), &times) == 0);
}

// One message row of the cache, with its source and folder.
struct Row {
    std::string kind, server, folder, sha256, flags, path, source_key, received_from;
    uint64_t size = 0;
    int64_t received = 0;
    uint32_t uid = 0;
    bool gone = false;
    bool operator==(const Row&) const = default;
};

inline std::vector<Row> rows_of(const std::string& cache) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((cache + "/index.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT s.kind, s.server, f.name, m.sha256, m.flags, m.path, coalesce(m.source_key, ''), "
                               "m.received_from, m.size, m.received_at, m.uid, m.gone FROM messages m "
                               "JOIN folders f ON f.id = m.folder_id JOIN sources s ON s.id = f.source_id "
                               "ORDER BY s.server, f.name, m.uid",
                               -1, &st, nullptr) == SQLITE_OK);
    std::vector<Row> rows;
    auto text = [&](int c) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c))); };
    while (sqlite3_step(st) == SQLITE_ROW) {
        Row r{text(0), text(1), text(2), text(3), text(4), text(5), text(6), text(7)};
        r.size = static_cast<uint64_t>(sqlite3_column_int64(st, 8));
        r.received = sqlite3_column_int64(st, 9);
        r.uid = static_cast<uint32_t>(sqlite3_column_int64(st, 10));
        r.gone = sqlite3_column_int64(st, 11) != 0;
        rows.push_back(std::move(r));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

// (source path, folder name) -> its rows
inline std::map<std::pair<std::string, std::string>, std::vector<Row>> by_folder(const std::vector<Row>& rows) {
    std::map<std::pair<std::string, std::string>, std::vector<Row>> out;
    for (const auto& r : rows) out[{r.server, r.folder}].push_back(r);
    return out;
}

inline std::multiset<std::string> shas(const std::vector<Row>& rows) {
    std::multiset<std::string> out;
    for (const auto& r : rows) out.insert(r.sha256);
    return out;
}

inline std::vector<std::string> mbox_messages(const std::string& path) {
    std::vector<std::string> out;
    mbox::MboxReader reader(path);
    (void)reader.read([&](const mbox::MboxMessage& m) {
        out.emplace_back(m.bytes);
        return Status{};
    });
    return out;
}

// The message files of one Maildir folder directory, as the Maildir spec and
// notmuch's corpus have them: cur/, new/, and files with ":2," beside them.
inline std::vector<std::string> maildir_files(const std::string& dir) {
    std::vector<std::string> out;
    for (const char* sub : {"/cur", "/new"}) {
        if (!fs::is_directory(dir + sub)) continue;
        for (const auto& e : fs::directory_iterator(dir + sub)) out.push_back(e.path().string());
    }
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().filename().string().find(":2,") != std::string::npos)
            out.push_back(e.path().string());
    return out;
}

// The flags a Maildir file name says, in the index's IMAP form.
inline std::string expected_flags(const std::string& file, const std::map<char, std::string>& keywords) {
    std::string name = fs::path(file).filename().string();
    size_t info = name.find(":2,");
    std::string letters = info == std::string::npos ? "" : name.substr(info + 3);
    std::string out;
    auto add = [&](const std::string& f) { out += (out.empty() ? "" : " ") + f; };
    const std::pair<char, const char*> system[] = {{'S', "\\Seen"}, {'R', "\\Answered"}, {'F', "\\Flagged"},
                                                  {'T', "\\Deleted"}, {'D', "\\Draft"}};
    for (const auto& [c, f] : system)
        if (letters.find(c) != std::string::npos) add(f);
    std::set<std::string> kw;
    for (char c : letters)
        if (keywords.count(c)) kw.insert(keywords.at(c));
    for (const auto& k : kw) add(k);
    return out;
}

inline std::map<char, std::string> keywords_of(const std::string& dir) {
    std::map<char, std::string> out;
    std::ifstream in(dir + "/dovecot-keywords");
    int n;
    std::string kw;
    while (in >> n >> kw) out[static_cast<char>('a' + n)] = kw;
    return out;
}

// The path as the import records it (absolute, normalised).
inline std::string abs(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

// A writable copy of a corpus' Maildir trees (from: its maildir/ folder; the
// real corpus is read-only), every message file with an mtime of its own.
inline std::map<std::string, int64_t> copy_maildirs(const fs::path& from, const std::string& to) {
    fs::create_directories(to);
    std::vector<fs::path> all;
    for (const auto& e : fs::recursive_directory_iterator(from)) {
        fs::path target = fs::path(to) / fs::relative(e.path(), from);
        if (e.is_directory()) {
            fs::create_directories(target);
        } else if (e.is_regular_file()) {
            spill(target.string(), slurp(e.path().string()));
            all.push_back(target);
        }
    }
    std::sort(all.begin(), all.end());
    std::map<std::string, int64_t> mtimes;
    int64_t t = 946684800;  // 2000-01-01
    for (const auto& p : all) {
        std::string parent = p.parent_path().filename().string();
        if (parent != "cur" && parent != "new" && p.filename().string().find(":2,") == std::string::npos) continue;
        t += 3607;
        int64_t when = mtimes.empty() ? -31536000 : t;  // one before 1970, as in the corpus
        set_mtime(p.string(), when);
        mtimes[p.string()] = when;
    }
    return mtimes;
}

// (SHA-256, flags in the index's form, received date) of every row: what a round trip must keep.
inline std::multiset<std::tuple<std::string, std::string, int64_t>> flags_and_dates(const std::vector<Row>& rows) {
    std::multiset<std::tuple<std::string, std::string, int64_t>> out;
    for (const auto& r : rows) out.insert({r.sha256, r.flags, r.received});
    return out;
}

inline bool has_keyword(const std::string& flags) {
    std::istringstream in(flags);
    for (std::string f; in >> f;)
        if (f[0] != '\\') return true;
    return false;
}

// Every message file below a Maildir++ tree written as Dovecot writes one: the
// ":2," info is system letters (ASCII order) then keyword letters (ASCII order),
// each keyword letter given by the folder's dovecot-keywords.
inline bool keyword_letters_ok(const std::string& root) {
    bool ok = true;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_regular_file() || e.path().parent_path().filename() != "cur") continue;
        std::string name = e.path().filename().string();
        std::string info = name.substr(name.find(":2,") + 3);
        auto keywords = keywords_of(e.path().parent_path().parent_path().string());
        std::string system = info.substr(0, info.find_first_of("abcdefghijklmnopqrstuvwxyz"));
        std::string letters = info.substr(system.size());
        bool good = std::is_sorted(system.begin(), system.end()) && std::is_sorted(letters.begin(), letters.end()) &&
                    std::adjacent_find(letters.begin(), letters.end()) == letters.end() &&
                    system.find_first_not_of("DFRST") == std::string::npos;
        for (char c : letters) good = good && keywords.count(c);
        if (!good) UNSCOPED_INFO("bad info in " << e.path());
        ok = ok && good;
    }
    return ok;
}

inline std::vector<fs::path> sorted_files(const std::string& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// One corpus Maildir folder (read-only) as a writable Maildir of its own: cur/ and new/ with their mtimes.
inline void copy_folder(const std::string& from, const std::string& to) {
    for (const char* sub : {"/cur", "/new", "/tmp"}) {
        fs::create_directories(to + sub);
        if (!fs::is_directory(from + sub)) continue;
        for (const auto& f : sorted_files(from + sub)) {
            std::string target = to + sub + "/" + f.filename().string();
            spill(target, slurp(f.string()));
            set_mtime(target, mtime_of(f.string()));
        }
    }
}

inline RunResult import(const std::string& cache, std::vector<std::string> paths, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"import", cache};
    args.insert(args.end(), paths.begin(), paths.end());
    args.push_back("--no-progress");
    args.insert(args.end(), extra.begin(), extra.end());
    return run_mailferry(args);
}

// No index row without its file, no message file without its row; each file holds the bytes its row says.
inline void require_consistent(const std::string& cache) {
    auto rows = rows_of(cache);
    std::set<std::string> indexed;
    for (const auto& r : rows) {
        indexed.insert(r.path);
        CHECK(sha256_of_file(cache + "/" + r.path) == r.sha256);
        CHECK(mtime_of(cache + "/" + r.path) == r.received);
    }
    CHECK(indexed.size() == rows.size());
    CHECK(message_files(cache) == indexed);
}

// Keyword names of a dovecot-keywords map.
inline std::set<std::string> keyword_names(const std::map<char, std::string>& letters) {
    std::set<std::string> out;
    for (const auto& [letter, name] : letters) out.insert(name);
    return out;
}

// The keywords a manifest folder's messages carry.
inline std::set<std::string> keywords_in(const nlohmann::json& folder) {
    std::set<std::string> out;
    for (const auto& m : folder.at("messages"))
        for (const auto& k : m.at("keywords")) out.insert(k.get<std::string>());
    return out;
}

}  // namespace mailferry::test::imports
