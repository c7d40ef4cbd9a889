// Messages written by an adversary, replayed into a real Dovecot: nothing in
// a message may become an IMAP command in the target account.
//
// The attack (issue 13): an imported mbox entry's "X-Keywords: x)" once went
// into the APPEND's flag list unchecked. "(x))" ends the list early, Dovecot
// answers BAD, and with LITERAL+ the message body still went out, so every
// body line was read as a command of the target account: a "CREATE" written
// in the body created a folder there.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "support.hpp"
#include "test_files.hpp"
#include "test_dovecot.hpp"
#include "wrap/sqlite.hpp"

using namespace mailferry::test;
namespace fs = std::filesystem;

namespace {

const std::string kTargetPassword = "t4rget pw";

// Body lines that are commands, should the server ever read them as such.
std::string hostile_body() {
    return "hello\n"
           "mf2 CREATE PwnedByTag\n"
           "a1 CREATE PwnedByBody\n"
           "a2 DELETE INBOX\n"
           "a3 LOGOUT\n";
}

std::string hostile_mbox() {
    std::string m;
    m += "From attacker@example.net Mon Jan  1 10:00:00 2024\n"
         "From: attacker@example.net\nTo: victim@example.org\nSubject: keywords that are no atoms\n"
         "Message-ID: <hostile-1@example.net>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
         "X-Keywords: x), $Good, a(b, {5}, q\"\n\n" +
         hostile_body() + "\n";
    m += "From friend@example.net Mon Jan  1 11:00:00 2024\n"
         "From: friend@example.net\nTo: victim@example.org\nSubject: an ordinary one\n"
         "Message-ID: <plain-2@example.net>\nDate: Mon, 1 Jan 2024 11:00:00 +0000\n\n"
         "nothing to see\n\n";
    return m;
}

struct Rig {
    TestDovecot target{DovecotOptions{"dovecot", {"bob:" + kTargetPassword}, false}};
    TempDir dir;
    std::string cache = dir / "cache";
    std::string target_pw = write_secret_file(dir / "tpw", kTargetPassword);

    RunResult import_hostile() {
        std::ofstream(dir / "hostile.mbox", std::ios::binary) << hostile_mbox();
        return run_mailferry({"import", cache, dir / "hostile.mbox", "--no-progress"});
    }
    RunResult replay() const {
        return run_mailferry({"replay", cache, "--to", "imaps://bob@127.0.0.1:" + std::to_string(target.imaps_port()),
                              "--password-file", target_pw, "--ca-file", target.ca_file(), "--profile", "generic",
                              "--no-progress", "--json"});
    }
    std::map<std::string, ServerFolder> account() const {
        return read_account(target.imaps_port(), "bob", kTargetPassword);
    }
};

// No folder that a body line asked for, INBOX still there, and both messages arrived once.
void require_no_command_ran(const std::map<std::string, ServerFolder>& account) {
    CHECK(account.count("PwnedByTag") == 0);
    CHECK(account.count("PwnedByBody") == 0);
    CHECK(account.count("INBOX") == 1);
    size_t messages = 0;
    for (const auto& [name, folder] : account) messages += folder.messages.size();
    CHECK(messages == 2);
}

}  // namespace

TEST_CASE("hostile X-Keywords: import keeps only atoms, and the replay runs no command from the body",
          "[security][replay][keywords]") {
    Rig rig;
    auto imported = rig.import_hostile();
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    for (const auto& row : read_cache_messages(rig.cache)) {
        CAPTURE(row.flags);
        CHECK(row.flags.find("x)") == std::string::npos);
        CHECK(row.flags.find("a(b") == std::string::npos);
        CHECK(row.flags.find("{5}") == std::string::npos);
    }

    auto replayed = rig.replay();
    INFO(replayed.out << replayed.err);
    CHECK(replayed.exit_code == 0);
    auto account = rig.account();
    require_no_command_ran(account);
    bool good_kept = false;
    for (const auto& [name, folder] : account)
        for (const auto& m : folder.messages) good_kept |= m.flags.find("$Good") != std::string::npos;
    CHECK(good_kept);
}

TEST_CASE("a cache whose index holds keywords that are no atoms replays without them, counted",
          "[security][replay][keywords]") {
    // A cache written before keywords were checked (or edited by hand): the
    // APPEND builder is the last line of defence.
    Rig rig;
    REQUIRE(rig.import_hostile().exit_code == 0);
    {
        auto db = mailferry::wrap::Database::open(rig.cache + "/index.sqlite", mailferry::wrap::DatabaseAccess::read_write);
        REQUIRE(db.ok());
        REQUIRE(db->exec("UPDATE messages SET flags = '\\Seen x) $Fine {5}' WHERE subject LIKE 'keywords%'").ok());
    }
    auto replayed = rig.replay();
    INFO(replayed.out << replayed.err);
    CHECK(replayed.exit_code == 0);
    CHECK(replayed.out.find("\"keywords_not_sent\": 2") != std::string::npos);
    auto account = rig.account();
    require_no_command_ran(account);
    bool fine_kept = false;
    for (const auto& [name, folder] : account)
        for (const auto& m : folder.messages) fine_kept |= m.flags.find("\\Seen $Fine") != std::string::npos;
    CHECK(fine_kept);
}

TEST_CASE("json: --json output survives subjects and Message-IDs that are not UTF-8", "[security][json]") {
    // nlohmann's dump() throws on such bytes: the finished run ended in "internal error" (exit 70).
    TempDir dir;
    std::string cache = dir / "cache";
    std::ofstream(dir / "latin1.mbox", std::ios::binary)
        << "From someone@example.net Mon Jan  1 10:00:00 2024\n"
           "From: someone@example.net\nSubject: caf\xe9 cr\xe8me zwiebelkuchen\n"
           "Message-ID: <caf\xe9@example.net>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\n"
           "zwiebelkuchen recipe\n\n";
    REQUIRE(run_mailferry({"import", cache, dir / "latin1.mbox", "--no-progress"}).exit_code == 0);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"search", cache, "zwiebelkuchen", "--json"},
          std::vector<std::string>{"manifest", cache, "--format", "json"},
          std::vector<std::string>{"status", cache, "--json"}}) {
        CAPTURE(args[0]);
        auto r = run_mailferry(args);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        auto parsed = nlohmann::json::parse(r.out, nullptr, false);
        CHECK_FALSE(parsed.is_discarded());
    }
    // The Message-ID is kept as it came; in JSON its byte shows as U+FFFD.
    auto manifest = run_mailferry({"manifest", cache, "--format", "json"});
    CHECK(manifest.out.find("<caf\xef\xbf\xbd@example.net>") != std::string::npos);
    // The subject's 8-bit text is read as Latin-1 for search, and shown decoded.
    auto found = run_mailferry({"search", cache, "zwiebelkuchen", "--json"});
    CHECK(found.out.find("caf\xc3\xa9 cr\xc3\xa8me") != std::string::npos);
}

TEST_CASE("manifest CSV: a cell that a spreadsheet would run as a formula is quoted as text", "[security][manifest]") {
    TempDir dir;
    std::string cache = dir / "cache";
    std::ofstream(dir / "=HYPERLINK(1).mbox", std::ios::binary)
        << "From someone@example.net Mon Jan  1 10:00:00 2024\n"
           "From: someone@example.net\nSubject: hi\nMessage-ID: @SUM(A1)\n\nbody\n\n";
    REQUIRE(run_mailferry({"import", cache, dir / "=HYPERLINK(1).mbox", "--no-progress"}).exit_code == 0);
    auto r = run_mailferry({"manifest", cache, "--format", "csv"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find(",=HYPERLINK") == std::string::npos);
    CHECK(r.out.find(",@SUM") == std::string::npos);
    CHECK(r.out.find("\"'=HYPERLINK(1)\"") != std::string::npos);
    CHECK(r.out.find("\"'@SUM(A1)\"") != std::string::npos);
}

TEST_CASE("an EML file with CR-only line endings after an mbox From_ line is imported, not dropped",
          "[import][eml]") {
    // Its whole text is one LF-less line: the From_ line once swallowed the message.
    TempDir dir;
    std::string cache = dir / "cache";
    fs::create_directories(dir / "eml");
    std::ofstream(dir / "eml/cr-only.eml", std::ios::binary)
        << "From someone@example.net Mon Jan  1 10:00:00 2024\rFrom: someone@example.net\rSubject: old Mac mail\r"
           "Message-ID: <cr-only@example.net>\r\rbody line one\rbody line two\r";
    auto r = run_mailferry({"import", cache, dir / "eml", "--format", "eml", "--no-progress"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("nothing to import") == std::string::npos);
    auto rows = read_cache_messages(cache);
    REQUIRE(rows.size() == 1);
    CHECK(slurp(cache + "/" + rows[0].path).rfind("From: someone@example.net\r", 0) == 0);
}

namespace {

std::string labelled_mbox(const std::string& from_line, const std::string& labels, int count) {
    std::string m;
    for (int i = 0; i < count; ++i)
        m += from_line + "\nX-Gmail-Labels: " + labels + "\nSubject: labelled " + std::to_string(i) +
             "\nMessage-ID: <l" + std::to_string(i) + "@example.net>\n\nbody\n\n";
    return m;
}

std::set<std::string> folder_names(const std::string& cache) {
    std::set<std::string> out;
    for (const auto& [raw, row] : read_cache_folders(cache)) out.insert(row.name);
    return out;
}

}  // namespace

TEST_CASE("X-Gmail-Labels choose folders only in a Google Takeout file, or when asked, and within limits",
          "[security][import][takeout]") {
    TempDir dir;
    // Anyone can write this header into a message of an ordinary mbox.
    std::ofstream(dir / "ordinary.mbox", std::ios::binary)
        << labelled_mbox("From someone@example.net Mon Jan  1 10:00:00 2024", "Inbox,Planted/Folder,Other", 3);
    auto plain = run_mailferry({"import", dir / "c1", dir / "ordinary.mbox", "--no-progress"});
    INFO(plain.err);
    REQUIRE(plain.exit_code == 0);
    CHECK(folder_names(dir / "c1") == std::set<std::string>{"ordinary"});
    CHECK(plain.err.find("not a Google Takeout export") != std::string::npos);

    auto asked = run_mailferry({"import", dir / "c2", dir / "ordinary.mbox", "--labels-in-any-file",
                                "--labels-as-folders", "copy", "--no-progress"});
    REQUIRE(asked.exit_code == 0);
    CHECK(folder_names(dir / "c2") == std::set<std::string>{"INBOX", "Planted/Folder", "Other"});

    // Takeout's own From_ lines: labels are folders, at most 64 per message.
    std::string many;
    for (int i = 0; i < 100; ++i) many += (many.empty() ? "" : ",") + std::string("L") + std::to_string(i);
    std::ofstream(dir / "takeout.mbox", std::ios::binary)
        << labelled_mbox("From 1726000000000000001@xxx Mon Jan 01 10:00:00 +0000 2024", many, 1);
    auto takeout = run_mailferry({"import", dir / "c3", dir / "takeout.mbox", "--labels-as-folders", "copy",
                                  "--no-progress"});
    INFO(takeout.err);
    REQUIRE(takeout.exit_code == 0);
    CHECK(folder_names(dir / "c3").size() == 64);
    CHECK(takeout.err.find("36 label(s) not made into folders") != std::string::npos);
}

TEST_CASE("export refuses a destination that other users can write to", "[security][export]") {
    // Another user could plant a symbolic link where a message file is about to be written.
    TempDir dir;
    std::ofstream(dir / "a.mbox", std::ios::binary)
        << "From someone@example.net Mon Jan  1 10:00:00 2024\nFrom: someone@example.net\nSubject: hi\n\nbody\n\n";
    REQUIRE(run_mailferry({"import", dir / "cache", dir / "a.mbox", "--no-progress"}).exit_code == 0);
    for (const char* format : {"maildir", "mboxrd", "eml"}) {
        CAPTURE(format);
        std::string shared = dir / (std::string("shared-") + format);
        fs::create_directory(shared);
        fs::permissions(shared, fs::perms::all | fs::perms::sticky_bit);  // as /tmp is
        auto refused = run_mailferry({"export", dir / "cache", shared, "--format", format, "--no-progress"});
        CHECK(refused.exit_code != 0);
        CHECK(refused.err.find("can be written by other users") != std::string::npos);
        CHECK(fs::is_empty(shared));
        fs::permissions(shared, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
        auto r = run_mailferry({"export", dir / "cache", shared, "--format", format, "--no-progress"});
        INFO(r.err);
        CHECK(r.exit_code == 0);
    }
}
