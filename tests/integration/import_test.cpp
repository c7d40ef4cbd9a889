// mailferry import: mbox files, Maildirs and message files into a cache, with
// the real binary; no server needed. Whole corpora: import_corpus_test.cpp.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>
#include <utime.h>
#include <zlib.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "formats/mbox/mbox_reader.hpp"
#include "corpus_manifest.hpp"
#include "import_support.hpp"
#include "support.hpp"
#include "test_corpus.hpp"
#include "test_dovecot.hpp"
#include "wrap/sha256.hpp"
#include "test_files.hpp"

using namespace mailferry;
using namespace mailferry::test;
using namespace mailferry::test::imports;
namespace fs = std::filesystem;


TEST_CASE("an mbox appended to: only the new messages are imported", "[import][mbox]") {
    TempDir t;
    const std::string gen = generated_corpus_dir() + "/";
    const std::string a = slurp(gen + "mbox/duplicates/dups-1.mbox"), b = slurp(gen + "mbox/quirks/html-only.mbox");
    const size_t in_a = manifest_message_count("mbox/duplicates/dups-1.mbox");
    const size_t in_b = manifest_message_count("mbox/quirks/html-only.mbox");
    std::string file = t / "list.mbox";
    spill(file, a);
    std::string cache = t / "cache";
    REQUIRE(import(cache, {file}).exit_code == 0);
    auto before = rows_of(cache);
    REQUIRE(before.size() == in_a);
    spill(file, a + b);
    auto again = import(cache, {file}, {"--json"});
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(again.out.find("\"new_messages\": " + std::to_string(in_b)) != std::string::npos);
    auto after = rows_of(cache);
    REQUIRE(after.size() == in_a + in_b);
    CHECK(std::vector<Row>(after.begin(), after.begin() + static_cast<long>(in_a)) == before);
    CHECK(after[in_a].uid == static_cast<uint32_t>(in_a + 1));
    CHECK(after[in_a].folder == "list");
}

TEST_CASE("a Maildir changed by a mail client: new mail, flags changed, mail deleted", "[import][maildir]") {
    TempDir t;
    copy_maildirs(generated_corpus_dir() + "/maildir", t / "maildir");
    std::string tree = t / "maildir/flat";
    std::string cache = t / "cache";
    REQUIRE(import(cache, {tree}).exit_code == 0);
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(tree + "/cur")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    const std::string first = files[0].string();
    fs::rename(files[0], first.substr(0, first.rfind(":2,")) + ":2,FS");  // whatever it had, now seen and flagged
    fs::remove(files[1]);
    fs::create_directories(tree + "/new");
    spill(tree + "/new/9999999999.new.host", "Subject: new\n\nbody\n");
    auto r = import(cache, {tree}, {"--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("\"new_messages\": 1,") != std::string::npos);
    CHECK(r.out.find("\"flags_refreshed\": 1,") != std::string::npos);
    CHECK(r.out.find("\"gone\": 1,") != std::string::npos);
    std::string changed = files[0].filename().string();
    changed = changed.substr(0, changed.find(":2,"));
    for (const auto& row : rows_of(cache)) {
        if (row.source_key == changed) {
            CHECK(row.flags == "\\Seen \\Flagged");
            CHECK(row.path.find(":2,FS") != std::string::npos);
        }
    }
    require_consistent(cache);
}

TEST_CASE("a broken gzip and a truncated mbox: exit 1, one line each, every good message imported", "[import][errors]") {
    TempDir t;
    std::string whole = slurp(generated_corpus_dir() + "/mbox/list/list-month.mbox");
    std::string gz = gzip(whole);
    spill(t / "broken.mbox.gz", gz.substr(0, gz.size() / 2));
    spill(t / "truncated.mbox", whole.substr(0, whole.size() * 3 / 5));
    for (const char* name : {"broken.mbox.gz", "truncated.mbox"}) {
        CAPTURE(name);
        std::string file = t / name;
        std::string cache = t / ("cache-" + std::string(name));
        auto r = import(cache, {file});
        INFO(r.err);
        CHECK(r.exit_code == 1);
        // The reader's messages: each complete one before the damage (and, in a plain file, the cut one).
        size_t good = mbox_messages(file).size();
        CHECK(good > 50);
        CHECK(rows_of(cache).size() == good);
        // "error: FILE:OFFSET: ..." or "error: file FILE: ... offset N ...".
        bool named = false;
        std::istringstream lines(r.err);
        for (std::string line; std::getline(lines, line);) {
            size_t at = line.find(file);
            if (line.rfind("error: ", 0) != 0 || at == std::string::npos) continue;
            size_t after = at + file.size();
            named |= line.find("offset") != std::string::npos ||
                     (after + 1 < line.size() && line[after] == ':' && std::isdigit(static_cast<unsigned char>(line[after + 1])));
        }
        CHECK(named);
        require_consistent(cache);
    }
}

TEST_CASE("bad input never crashes the import: empty, From_ line only, NUL bytes, CR only, garbage", "[import][errors]") {
    TempDir t;
    const std::string from = "From a@example.org Sat Jan  1 00:00:00 2011\n";
    struct Case {
        const char* name;
        std::string bytes;
        size_t messages;
        int exit_code;
    };
    const Case cases[] = {
        {"empty.mbox", "", 0, 0},
        {"from-only.mbox", from, 0, 1},
        {"nul.mbox", from + std::string("Subject: nul\n\na\0b\n", 18), 1, 0},
        {"cr-only.mbox", "From a@example.org Sat Jan  1 00:00:00 2011\rSubject: mac\r\rbody\r", 1, 0},
        {"garbage.mbox.gz", std::string("\x1f\x8b\x08\x00garbage", 12), 0, 1},
        {"binary.eml", std::string("\0\1\2\3", 4), 1, 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        spill(t / c.name, c.bytes);
        std::string cache = t / ("cache-" + std::string(c.name));
        auto r = import(cache, {t / c.name});
        INFO(r.err);
        CHECK(r.exit_code == c.exit_code);
        CHECK(rows_of(cache).size() == c.messages);
        if (c.exit_code != 0) CHECK(r.err.find(t / c.name) != std::string::npos);
    }
}

TEST_CASE("a Google Takeout mbox: labels as folders, first or copy", "[import][takeout]") {
    TempDir t;
    const std::string from = "From 1700000000000000001@xxx Tue Mar 01 12:00:00 +0000 2022\n";
    std::string mbox;
    for (const char* labels : {"Inbox,Important,Opened", "Sent,Opened", "Work/Projekte,Inbox,Unread,Starred",
                               "Archived,Category Updates,Opened", "Spam,Unread", "Opened"}) {
        mbox += from + "X-Gmail-Labels: " + labels + "\nSubject: " + labels + "\n\nbody\n\n";
    }
    std::string file = t / "All mail Including Spam and Trash.mbox";
    spill(file, mbox);

    std::string first = t / "first";
    auto r = import(first, {file});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::map<std::string, size_t> count;
    for (const auto& row : rows_of(first)) ++count[row.folder];
    CHECK(count == std::map<std::string, size_t>{{"INBOX", 1}, {"Sent", 1}, {"Work/Projekte", 1}, {"Archived", 1},
                                                 {"Spam", 1}, {"All mail Including Spam and Trash", 1}});
    auto folders = read_cache_folders(first);
    CHECK(folders["Sent"].role == "\\Sent");
    CHECK(folders["Spam"].role == "\\Junk");
    CHECK(folders["Archived"].role == "\\Archive");
    for (const auto& row : rows_of(first)) {
        if (row.folder == "Work/Projekte") CHECK(row.flags == "\\Flagged");
        if (row.folder == "INBOX") CHECK(row.flags == "\\Seen");
    }

    std::string copy = t / "copy";
    REQUIRE(import(copy, {file}, {"--labels-as-folders", "copy"}).exit_code == 0);
    count.clear();
    for (const auto& row : rows_of(copy)) ++count[row.folder];
    CHECK(count == std::map<std::string, size_t>{{"INBOX", 2}, {"Sent", 1}, {"Work/Projekte", 1}, {"Archived", 1},
                                                 {"Spam", 1}, {"All mail Including Spam and Trash", 1}});
    require_consistent(copy);
}

TEST_CASE("import names folders after its paths, or --folder", "[import]") {
    TempDir t;
    const std::string gen = generated_corpus_dir();
    std::string cache = t / "cache";
    auto r = import(cache, {gen + "/mbox/content-length/cl.mbox", gen + "/eml/headers/folded-headers.eml"},
                    {"--folder", "Alt/2000"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& row : rows_of(cache)) seen.insert({row.kind, row.folder});
    CHECK(seen == std::set<std::pair<std::string, std::string>>{{"mbox", "Alt/2000"}, {"eml", "Alt/2000"}});
    auto usage = import(t / "other", {gen + "/mbox/quirks/html-only.mbox"}, {"--format", "maildir"});
    CHECK(usage.exit_code == 2);
    CHECK_FALSE(fs::exists(t / "other"));
    CHECK(import(t / "other", {gen + "/no/such/file"}).exit_code == 2);
}

TEST_CASE("import killed at 15 random moments ends with the cache of an uninterrupted run", "[import][crash]") {
    TempDir t;
    // 3000 messages in an mbox, and a Maildir of 1000: enough batches to be killed in the middle of.
    std::string mbox;
    std::mt19937 rng(20261126);
    for (int i = 0; i < 3000; ++i) {
        mbox += "From list@example.org Sat Jan  1 00:00:00 2011\nMessage-ID: <" + std::to_string(i) +
                "@test>\nSubject: message " + std::to_string(i) + "\n\n";
        for (int l = 0; l < 40; ++l) mbox += std::to_string(rng()) + " the quick brown fox\n";
        mbox += "\n";
    }
    spill(t / "big.mbox", mbox);
    fs::create_directories(t / "md/cur");
    for (int i = 0; i < 1000; ++i)
        spill(t / ("md/cur/" + std::to_string(1000000 + i) + ".x.host:2,S"), "Subject: " + std::to_string(i) + "\n\nbody\n");
    std::vector<std::string> paths = {t / "big.mbox", t / "md"};

    std::string reference = t / "reference";
    auto started = std::chrono::steady_clock::now();
    REQUIRE(import(reference, paths).exit_code == 0);
    auto full_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();

    std::string cache = t / "killed";
    std::vector<std::string> args = {"import", cache};
    args.insert(args.end(), paths.begin(), paths.end());
    args.push_back("--no-progress");
    int killed_mid_run = 0;
    for (int i = 0; i < 15; ++i) {
        pid_t pid = spawn_mailferry(args);
        std::uniform_int_distribution<long> when(0, full_us);
        std::this_thread::sleep_for(std::chrono::microseconds(when(rng)));
        if (::kill(pid, SIGKILL) == 0) ++killed_mid_run;
        wait_for(pid);
    }
    CAPTURE(killed_mid_run);
    auto last = import(cache, paths);
    INFO(last.err);
    REQUIRE(last.exit_code == 0);
    // Every row as in the reference, source keys included; a file adopted after a
    // kill cannot know where its received date came from (received_from).
    auto strip = [](std::vector<Row> rows) {
        for (auto& r : rows) r.received_from.clear();
        return rows;
    };
    CHECK(strip(rows_of(cache)) == strip(rows_of(reference)));
    require_consistent(cache);
}

namespace {

struct Measured {
    int exit_code = -1;
    std::string err;
    long max_rss_kb = 0;  // the child's peak resident set (getrusage's ru_maxrss)
    double seconds = 0;
};

// Runs mailferry as run_mailferry does, and measures its peak memory with wait4().
Measured run_measured(const std::vector<std::string>& args, const std::string& err_file) {
    auto started = std::chrono::steady_clock::now();
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(null, 0);
        dup2(null, 1);
        dup2(err, 2);
        std::vector<char*> argv = {const_cast<char*>(MAILFERRY_BINARY)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(MAILFERRY_BINARY, argv.data());
        _exit(127);
    }
    int status = 0;
    struct rusage usage {};
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    Measured m;
    m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    m.err = slurp(err_file);
    m.max_rss_kb = usage.ru_maxrss;
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return m;
}

// Streams pieces into a file and a SHA-256 at once: the 200 MB message is never whole in the test.
class HashingWriter {
public:
    explicit HashingWriter(const std::string& path) : out_(path, std::ios::binary | std::ios::trunc) {
        REQUIRE(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1);
    }
    ~HashingWriter() { EVP_MD_CTX_free(ctx_); }
    void write(const std::string& bytes, bool hashed) {
        out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        REQUIRE(out_.good());
        if (hashed) REQUIRE(EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) == 1);
    }
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        REQUIRE(EVP_DigestFinal_ex(ctx_, md, &len) == 1);
        std::string out;
        char buf[3];
        for (unsigned i = 0; i < len; ++i) {
            std::snprintf(buf, sizeof buf, "%02x", md[i]);
            out += buf;
        }
        out_.close();
        return out;
    }

private:
    std::ofstream out_;
    EVP_MD_CTX* ctx_ = EVP_MD_CTX_new();
};

#ifdef __SANITIZE_ADDRESS__
constexpr bool kSanitized = true;  // ASan's shadow memory and quarantine inflate the resident set
#else
constexpr bool kSanitized = false;
#endif

}  // namespace

// Issue 5's bad input: "a 200 MB message: every good message imported, nothing lost".
TEST_CASE("a 200 MB message between two small ones: imported whole, memory bounded, exported back",
          "[import][export][big]") {
    TempDir t;
    const std::string mbox = t / "big.mbox";
    std::string big_sha;
    uint64_t big_size = 0;
    {
        HashingWriter w(mbox);
        w.write("From a@example.org Sat Jan  1 00:00:00 2011\nSubject: small one\nMessage-ID: <s1@test>\n\nsmall\n\n",
                false);
        w.write("From b@example.org Sun Jan  2 00:00:00 2011\n", false);
        const std::string head = "Subject: 200 MB\nMessage-ID: <big@test>\nContent-Type: text/plain\n\n";
        w.write(head, true);
        // 25 MB of 79-byte lines, eight times: no line starts with "From ".
        const std::string line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempo\n";
        std::string piece;
        piece.reserve(25u << 20);
        while (piece.size() + line.size() <= (25u << 20)) piece += line;
        for (int i = 0; i < 8; ++i) w.write(piece, true);
        big_size = head.size() + 8 * piece.size();
        w.write("\nFrom c@example.org Mon Jan  3 00:00:00 2011\nSubject: small two\n\nsmall\n", false);
        big_sha = w.hex();
    }
    REQUIRE(big_size > 200u * 1000 * 1000);

    const std::string cache = t / "cache";
    auto imported = run_measured({"import", cache, mbox, "--no-index", "--no-progress"}, t / "import.err");
    INFO(imported.err);
    INFO("import: " << imported.seconds << " s, peak RSS " << imported.max_rss_kb / 1024 << " MB");
    REQUIRE(imported.exit_code == 0);
    auto rows = rows_of(cache);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].size < 100);
    CHECK(rows[2].size < 100);
    CHECK(rows[1].size == big_size);
    CHECK(rows[1].sha256 == big_sha);
    auto on_disk = wrap::sha256_file(cache + "/" + rows[1].path);
    REQUIRE(on_disk.ok());
    CHECK(on_disk->hex == big_sha);
    CHECK(on_disk->size == big_size);
    // The pipeline holds a message whole (the splitter's buffer, and the
    // cursor's copy of it): about twice its size, never the whole file more.
    if (!kSanitized) CHECK(imported.max_rss_kb < 3 * static_cast<long>(big_size / 1024));

    auto exported = run_measured({"export", cache, t / "out", "--format", "mboxrd", "--no-progress"}, t / "export.err");
    INFO(exported.err);
    INFO("export: " << exported.seconds << " s, peak RSS " << exported.max_rss_kb / 1024 << " MB");
    REQUIRE(exported.exit_code == 0);
    auto back = run_measured({"import", t / "back", t / "out/big.mbox", "--format", "mbox", "--mbox-variant", "mboxrd",
                              "--no-index", "--no-progress"},
                             t / "back.err");
    INFO(back.err);
    REQUIRE(back.exit_code == 0);
    CHECK(shas(rows_of(t / "back")) == shas(rows));
    if (!kSanitized) CHECK(exported.max_rss_kb < 3 * static_cast<long>(big_size / 1024));
}

TEST_CASE("round trips: mbox, Maildir and EML through the cache and back give the same messages",
          "[import][export][roundtrip]") {
    TempDir t;
    const std::string corpus = generated_corpus_dir();
    auto run_export = [&](const std::string& cache, const std::string& dest, const std::string& format) {
        auto r = run_mailferry({"export", cache, dest, "--format", format, "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    };
    SECTION("mbox -> cache -> mboxrd -> cache: the same SHA-256 multiset") {
        std::vector<std::string> files;
        for (fs::recursive_directory_iterator it(corpus + "/mbox"), end; it != end; ++it)
            if (fs::is_regular_file(it->path())) files.push_back(it->path().string());
        REQUIRE(import(t / "a", files).exit_code <= 1);  // the corpus holds broken entries on purpose
        run_export(t / "a", t / "mbox", "mboxrd");
        std::vector<std::string> exported;
        for (fs::recursive_directory_iterator it(t / "mbox"), end; it != end; ++it)
            if (fs::is_regular_file(it->path())) exported.push_back(it->path().string());
        REQUIRE(import(t / "b", exported, {"--format", "mbox", "--mbox-variant", "mboxrd"}).exit_code == 0);
        // What an mbox writer must give back: the bytes, and a line break for the
        // message the truncated file ends without.
        std::multiset<std::string> written;
        for (const auto& r : rows_of(t / "a")) {
            std::string bytes = slurp(t / "a" + "/" + r.path);
            size_t nl = bytes.find('\n');  // the message's own line break, as its first line has it
            bool crlf = nl != std::string::npos && nl > 0 && bytes[nl - 1] == '\r';
            if (!bytes.empty() && bytes.back() != '\n') bytes += crlf ? "\r\n" : "\n";
            written.insert(wrap::sha256_hex(bytes));
        }
        CHECK(shas(rows_of(t / "b")) == written);
    }
    SECTION("Maildir -> cache -> Maildir: bytes, flags, keywords and dates") {
        REQUIRE(import(t / "a", {corpus + "/maildir/dovecot-maildirpp"}).exit_code == 0);
        run_export(t / "a", t / "md", "maildir");
        REQUIRE(import(t / "b", {t / "md"}).exit_code == 0);
        auto a = rows_of(t / "a"), b = rows_of(t / "b");
        CHECK(shas(b) == shas(a));
        CHECK(flags_and_dates(b) == flags_and_dates(a));
        // The corpus' keywords ($Forwarded and Wichtig in INBOX, Wichtig in the list) made it.
        size_t with_keywords = std::count_if(a.begin(), a.end(), [](const Row& r) { return has_keyword(r.flags); });
        CHECK(with_keywords >= 4);
        const auto folders = manifest_folders(kMaildirppContainer);
        CHECK(keyword_names(keywords_of(t / "md")) == keywords_in(folders.at("INBOX")));
        CHECK(keyword_names(keywords_of(t / "md/.Lists.dev@example\\2eorg")) ==
              keywords_in(folders.at("Lists/dev@example.org")));
        CHECK(keyword_letters_ok(t / "md"));
    }
    SECTION("Maildir with keywords of its own -> cache -> Maildir: every keyword, Dovecot's letters") {
        // A copy of one corpus folder without keywords as the INBOX of a tree of
        // its own, with six keywords (a gap at index 3) spread over its messages.
        const std::string src = t / "kw";
        copy_folder(corpus + "/maildir/dovecot-maildirpp/.Archive.2016.commits", src);
        spill(src + "/dovecot-keywords", "0 $Forwarded\n1 Projekt-X\n2 $Junk\n4 NonJunk\n5 $MDNSent\n6 todo\n");
        const std::string letters[] = {"a", "bc", "abeg", "", "f", "abcefg", "g"};
        size_t n = 0;
        for (const auto& file : sorted_files(src + "/cur")) {
            std::string name = file.filename().string();
            if (name.find(":2,") == std::string::npos) name += ":2,";
            fs::rename(file, file.parent_path() / (name + letters[n++ % 7]));
        }
        REQUIRE(import(t / "a", {src}).exit_code == 0);
        // Killed as the first message file is renamed into cur/: dovecot-keywords is already there, whole.
        auto killed = run_mailferry({"export", t / "a", t / "killed", "--format", "maildir", "--no-progress"},
                                    {{"MAILFERRY_FAILPOINT", "maildir.renamed:1"}});
        CHECK(killed.exit_code == 128 + SIGKILL);
        CHECK(sorted_files(t / "killed/cur").size() == 1);
        CHECK(keywords_of(t / "killed").size() == 6);
        CHECK(keyword_letters_ok(t / "killed"));
        run_export(t / "a", t / "md", "maildir");
        REQUIRE(import(t / "b", {t / "md"}).exit_code == 0);
        auto a = rows_of(t / "a"), b = rows_of(t / "b");
        REQUIRE(a.size() == manifest_folder_count(kMaildirppContainer, "Archive/2016/commits"));
        CHECK(shas(b) == shas(a));
        CHECK(flags_and_dates(b) == flags_and_dates(a));
        std::set<std::string> all;
        for (const auto& r : a) {
            std::istringstream in(r.flags);
            for (std::string f; in >> f;)
                if (f[0] != '\\') all.insert(f);
        }
        CHECK(all == std::set<std::string>{"$Forwarded", "Projekt-X", "$Junk", "NonJunk", "$MDNSent", "todo"});
        CHECK(keywords_of(t / "md").size() == 6);
        CHECK(keyword_letters_ok(t / "md"));
    }
    SECTION("more than 26 keywords in a folder: the rarest without a letter, one warning") {
        // "common" on every message, k01..k27 one message each: 28 keywords.
        std::string mbox;
        for (int i = 1; i <= 27; ++i) {
            std::string k = (i < 10 ? "k0" : "k") + std::to_string(i);
            mbox += "From a@example.org Sat Jan  1 00:00:00 2011\nX-Keywords: common, " + k + "\nSubject: " + k +
                    "\n\nbody " + k + "\n\n";
        }
        spill(t / "many.mbox", mbox);
        REQUIRE(import(t / "a", {t / "many.mbox"}).exit_code == 0);
        auto r = run_mailferry({"export", t / "a", t / "md", "--format", "maildir", "--no-progress"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);  // a loss in the export only: the cache keeps them
        CHECK(r.err.find("warning: many: 2 keywords without a Maildir letter") != std::string::npos);
        CHECK(r.err.find("on 2 messages: k26, k27") != std::string::npos);
        REQUIRE(import(t / "b", {t / "md/.many"}).exit_code == 0);
        std::multiset<std::string> want, got;
        for (const auto& row : rows_of(t / "a"))
            want.insert(row.flags.find("k26") != std::string::npos || row.flags.find("k27") != std::string::npos
                            ? "common" : row.flags);
        for (const auto& row : rows_of(t / "b")) got.insert(row.flags);
        CHECK(got == want);
        CHECK(keywords_of(t / "md/.many").size() == 26);
        CHECK(keyword_letters_ok(t / "md"));
    }
    SECTION("EML -> cache -> EML: bytes") {
        REQUIRE(import(t / "a", {corpus + "/eml"}).exit_code <= 1);
        run_export(t / "a", t / "eml", "eml");
        REQUIRE(import(t / "b", {t / "eml"}, {"--format", "eml"}).exit_code <= 1);
        CHECK(shas(rows_of(t / "b")) == shas(rows_of(t / "a")));
    }
}
