// Paths of src/cache, formats/ and src/mime that only a run over the real-mail
// corpus used to reach (issue 12), reached here on purpose with our own mail:
// the text index failing under a running fetch, an mbox reader running
// batches ahead of its caller, mboxrd evidence where list archives have it,
// Takeout's envelope senders, HTML's '<' before a non-letter, a message
// file's received date from the header fields as broken mail holds them,
// obsolete blanks before a field's colon, an unknown charset met twice,
// recovery of a folder without Maildir directories. (MIME shapes of whole
// messages are in the generated corpus: tests/corpus/README.md.) Each case
// says what the code must do there, not merely that it runs.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <set>
#include <string>
#include <thread>

#include "cache/cache.hpp"
#include "cache/text_index.hpp"
#include "cache/text_search.hpp"
#include "engine_support.hpp"
#include "cache/recovery.hpp"
#include "formats/eml/eml_source.hpp"
#include "formats/mbox/mbox_cursor.hpp"
#include "formats/mbox/takeout_labels.hpp"
#include "import_test_support.hpp"
#include "mbox_test_support.hpp"
#include "mime/charset.hpp"
#include "mime/header_fields.hpp"
#include "mime/html_text.hpp"
#include "temp_dir.hpp"
#include "wrap/posix_file.hpp"

using namespace mailferry;
using test::ScratchDir;

namespace {

// --- The text index when the index refuses its writes ---
//
// A trigger stands for a disk that refuses a write halfway through a batch
// (full, or failing): the batch's first rows are already in the FTS table
// when the update of a message's text_state is refused. Unlike a race with
// another writer, it fails every time, and at a chosen row.
void refuse_text_state(cache::Cache& c, const std::string& which_rows) {
    REQUIRE(c.index()
                .exec("CREATE TRIGGER test_refuse_text_state BEFORE UPDATE OF text_state ON messages "
                      "WHEN NEW.text_state <> 0 AND (" + which_rows + ") "
                      "BEGIN SELECT RAISE(ABORT, 'the disk refuses this write'); END")
                .ok());
}

void allow_text_state(cache::Cache& c) { REQUIRE(c.index().exec("DROP TRIGGER test_refuse_text_state").ok()); }

int64_t sql_count(cache::Cache& c, const std::string& sql) {
    auto st = c.index().prepare(sql);
    REQUIRE(st.ok());
    auto row = st->step();
    REQUIRE(row.ok());
    REQUIRE(*row);
    return st->int64(0);
}

// Every message of engine_support's mailbox has "message" in its subject.
std::set<int64_t> messages_found(cache::Cache& c) {
    cache::SearchQuery q;
    q.match = "message";
    q.limit = 1000;
    auto hits = cache::search(c, q);
    REQUIRE(hits.ok());
    std::set<int64_t> ids;
    for (const auto& h : *hits) CHECK(ids.insert(h.id).second);  // never one message twice
    return ids;
}

std::unique_ptr<cache::Cache> open_existing(const std::string& dir) {
    auto c = cache::Cache::open(dir, cache::OpenMode::existing);
    REQUIRE(c.ok());
    return std::move(*c);
}

// --- The mbox cursor when its reader runs ahead of its caller ---

constexpr size_t kQueuedMessageBytes = 128 * 1024;  // eight make one batch of the cursor
const std::string kQueueEnvelope = "From queue@example.org Mon Jan  2 10:00:00 2017\n";

// Message n, exactly kQueuedMessageBytes long; every body line names n, so a
// message handed over out of order, or cut, shows.
std::string queued_message(int n) {
    const std::string name = std::to_string(n);
    std::string m = "From: sender" + name + "@example.org\nSubject: queued message " + name + "\n\n";
    const std::string line = "line of message " + name + " " + std::string(60, 'q') + "\n";
    while (m.size() + line.size() <= kQueuedMessageBytes) m += line;
    m += std::string(kQueuedMessageBytes - m.size() - 1, 'q') + "\n";
    return m;
}

// Writes a FIFO in two steps and proves, between them, that the reader has
// handled everything of the first: past its first look at the data (1 MiB),
// the splitter reads again only once it has handled every complete line in
// its window (delivered every message a From_ line ended; strict From_ lines
// and no Content-Length, so nothing else makes it read). So when the pipe
// has run empty and one more line written after that is taken too, the
// first step is handled. No clock: the pipe's own count of unread bytes
// (FIONREAD) says when it is empty.
class FifoFeeder {
public:
    FifoFeeder(std::string path, std::string first, std::string proof_line, std::string rest)
        : thread_([this, path, first, proof_line, rest] { feed(path, first, proof_line, rest); }) {}
    ~FifoFeeder() {
        if (thread_.joinable()) thread_.join();
    }
    std::future<void> first_step_handled() { return handled_.get_future(); }
    // After the reader saw the end of the data: what went wrong while writing, if anything.
    std::string finish() {
        thread_.join();
        return failure_;
    }

private:
    void feed(const std::string& path, const std::string& first, const std::string& proof_line,
              const std::string& rest) {
        // A reader gone early (a failed check) must fail the write, not kill the process.
        sigset_t pipe_signal;
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
        wrap::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));  // waits for the reader to open it
        bool ok = fd.get() >= 0 && put(fd.get(), first) && drained(fd.get()) && put(fd.get(), proof_line) &&
                  drained(fd.get());
        handled_.set_value();
        if (ok) ok = put(fd.get(), rest);
        if (!ok) failure_ = "writing the FIFO failed";
    }
    static bool put(int fd, const std::string& bytes) {
        return wrap::write_all(fd, bytes.data(), bytes.size(), "fifo").ok();
    }
    // Until the reader has taken every byte written; false if it went away.
    static bool drained(int fd) {
        for (;;) {
            int unread = 0;
            if (::ioctl(fd, FIONREAD, &unread) != 0) return false;
            if (unread == 0) return true;
            pollfd p{fd, 0, 0};
            if (::poll(&p, 1, 0) < 0 || (p.revents & POLLERR) != 0) return false;
            std::this_thread::yield();
        }
    }

    std::promise<void> handled_;
    std::string failure_;
    std::thread thread_;
};

// --- Small mbox files of list mail ---

const std::string kListEnvelope = "From list-return@lists.example.org Tue Mar  7 09:15:00 2017\n";

std::string list_entry(const std::string& subject, const std::string& body) {
    return kListEnvelope + "From: crew@example.org\nSubject: " + subject + "\n\n" + body + "\n";
}

mbox_test::ReadAll read_mbox(const ScratchDir& dir, const std::string& name, const std::string& bytes) {
    mbox_test::write_bytes(dir / name, bytes);
    mbox_test::ReadAll got = mbox_test::read_all(dir / name);
    REQUIRE(got.status.ok());
    return got;
}

}  // namespace

TEST_CASE("text index: a batch the index refuses halfway is reported and leaves nothing half-written",
          "[cache][text]") {
    ScratchDir dir{"mf-gaps-", ScratchDir::in_memory};
    const std::string cache_dir = dir / "cache";
    auto mailbox = test::three_folders(4);
    REQUIRE_FALSE(test::fetch_once(cache_dir, mailbox).stopped());  // quick_options: no text index
    auto c = open_existing(cache_dir);
    const int64_t total = sql_count(*c, "SELECT count(*) FROM messages");
    REQUIRE(total == 12);
    // The last message of the one batch: the rows before it are written when it is refused.
    refuse_text_state(*c, "OLD.id = (SELECT max(id) FROM messages)");

    cache::TextIndexProgress progress;
    auto refused = cache::index_text(*c, /*rebuild=*/false, progress);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::io);
    // The batch is one transaction: none of its rows stayed, in the FTS table or in messages.
    CHECK(cache::messages_not_indexed(*c).value() == total);
    CHECK(sql_count(*c, "SELECT count(*) FROM messages WHERE text_key IS NOT NULL") == 0);
    CHECK(messages_found(*c).empty());

    // Once the disk takes writes again, the next run indexes every message, once.
    allow_text_state(*c);
    cache::TextIndexProgress again;
    auto indexed = cache::index_text(*c, /*rebuild=*/false, again);
    REQUIRE(indexed.ok());
    CHECK(indexed->indexed == static_cast<uint64_t>(total));
    CHECK(cache::messages_not_indexed(*c).value() == 0);
    CHECK(messages_found(*c).size() == static_cast<size_t>(total));
}

TEST_CASE("fetch: a text index that fails beside the fetch is a warning, the mail is cached, a reindex catches up",
          "[cache][text][engine]") {
    ScratchDir dir{"mf-gaps-", ScratchDir::in_memory};
    const std::string cache_dir = dir / "cache";
    {
        auto created = cache::Cache::open(cache_dir, cache::OpenMode::create_if_missing);
        REQUIRE(created.ok());
        refuse_text_state(**created, "1");
    }
    auto mailbox = test::three_folders(5);
    pipeline::FetchOptions options = test::quick_options();
    options.index_text = true;

    // The index thread gets the refusal, whether it meets the first rows
    // while the fetch runs or only in its last pass after it.
    test::FetchRun run = test::fetch_once(cache_dir, mailbox, options);
    REQUIRE_FALSE(run.stopped());
    CHECK(run.report.ok());
    CHECK(run.report.new_messages == 15);
    CHECK(run.report.text_indexed == 0);
    CHECK(std::count_if(run.report.warnings.begin(), run.report.warnings.end(), [](const std::string& w) {
              return w.find("full-text index was not updated") != std::string::npos;
          }) == 1);

    auto c = open_existing(cache_dir);
    CHECK(sql_count(*c, "SELECT count(*) FROM messages") == 15);
    CHECK(cache::messages_not_indexed(*c).value() == 15);
    CHECK(messages_found(*c).empty());
    allow_text_state(*c);
    cache::TextIndexProgress progress;
    auto rebuilt = cache::index_text(*c, /*rebuild=*/true, progress);
    REQUIRE(rebuilt.ok());
    CHECK(rebuilt->indexed == 15);
    CHECK(messages_found(*c).size() == 15);
}

TEST_CASE("mbox cursor: a reader batches ahead of its caller queues them, and the caller gets every message in order",
          "[mbox][import]") {
    ScratchDir dir{"mf-gaps-"};
    const std::string fifo = dir / "box.mbox";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    constexpr size_t per_batch = mbox::MboxCursor::kBatchBytes / kQueuedMessageBytes;
    static_assert(per_batch * kQueuedMessageBytes == mbox::MboxCursor::kBatchBytes);
    const int total = static_cast<int>(5 * per_batch);
    const int first_unproven = static_cast<int>(3 * per_batch);
    std::string first, rest;
    for (int n = 0; n < total; ++n) (n < first_unproven ? first : rest) += kQueueEnvelope + queued_message(n) + "\n";
    // The first step ends with the From_ line that ends the third batch; the
    // proof is the next message's first header line.
    first += kQueueEnvelope;
    const size_t header_line = rest.find('\n', kQueueEnvelope.size()) + 1;
    const std::string proof_line = rest.substr(kQueueEnvelope.size(), header_line - kQueueEnvelope.size());
    rest = rest.substr(header_line);

    // Room for three batches: the reader never waits in the first step,
    // whenever the caller takes its first batch.
    FifoFeeder feeder(fifo, first, proof_line, rest);
    mbox::MboxCursor cursor(fifo, {}, 3 * mbox::MboxCursor::kBatchBytes);
    auto handled = feeder.first_step_handled();
    const mbox::CursorMessage* m = cursor.next();
    REQUIRE(m != nullptr);
    CHECK(m->bytes == queued_message(0));
    // Three batches are handed over while the caller holds the first: at
    // least one went into a queue that still held another.
    handled.get();
    for (int n = 1; n < total; ++n) {
        m = cursor.next();
        REQUIRE(m != nullptr);
        CHECK(m->index == static_cast<uint64_t>(n));
        CHECK(m->bytes == queued_message(n));
    }
    CHECK(cursor.next() == nullptr);
    CHECK(cursor.status().ok());
    CHECK(feeder.finish().empty());
}

TEST_CASE("mbox cursor: dropped while its reader waits on a full queue, it stops the reader", "[mbox][import]") {
    ScratchDir dir{"mf-gaps-"};
    std::string file;
    for (int n = 0; n < 6; ++n) file += list_entry("note " + std::to_string(n), "Body " + std::to_string(n) + ".\n");
    mbox_test::write_bytes(dir / "notes.mbox", file);
    {
        // A queue of a few bytes: one message fills it. The caller takes the
        // first and no more, so the reader cannot hand over the third until
        // the cursor, going away, tells it to stop.
        mbox::MboxCursor cursor(dir / "notes.mbox", {}, 10);
        const mbox::CursorMessage* m = cursor.next();
        REQUIRE(m != nullptr);
        CHECK(m->bytes.find("Subject: note 0\n") != std::string::npos);
    }  // must return: a reader left waiting would hang the join here
    mbox::MboxCursor again(dir / "notes.mbox", {}, 10);
    int n = 0;
    while (again.next() != nullptr) ++n;
    CHECK(n == 6);
    CHECK(again.status().ok());
}

TEST_CASE("mbox: a quoted '>From' line escaped to '>>From' in the first escaped message decides mboxrd at once",
          "[mbox]") {
    ScratchDir dir{"mf-gaps-"};
    const std::string file =
        list_entry("Re: minutes", "Quoting the minutes:\n>>From the minutes: the pier opens at six.\n"
                                  ">From the harbour office, with thanks.\n") +
        list_entry("Re: Re: minutes", "Agreed.\n");
    auto got = read_mbox(dir, "list.mbox", file);
    REQUIRE(got.messages.size() == 2);
    CHECK(got.report.variant == mbox::Variant::mboxrd);
    CHECK(got.messages[0].bytes.find("\n>From the minutes: the pier") != std::string::npos);
    CHECK(got.messages[0].bytes.find("\nFrom the harbour office") != std::string::npos);
}

TEST_CASE("mbox: looking ahead for mboxrd evidence, '>>' reply quotes are not evidence, '>>From' is", "[mbox]") {
    ScratchDir dir{"mf-gaps-"};
    // The first escaped line is a plain '>From': the reader looks at the rest
    // of the file, past a nested reply quote, before it decides.
    const std::string first = list_entry("Timetable", ">From the harbour office: new times.\n");
    const std::string quoted = list_entry("Re: Re: Timetable", ">> Did the ferry leave on time?\n> It did.\nGood.\n");
    auto rd = read_mbox(dir, "rd.mbox", first + quoted + list_entry("Old thread", ">>From the minutes, quoted.\n"));
    CHECK(rd.report.variant == mbox::Variant::mboxrd);
    REQUIRE(rd.messages.size() == 3);
    CHECK(rd.messages[0].bytes.find("\nFrom the harbour office") != std::string::npos);
    CHECK(rd.messages[1].bytes.find("\n>> Did the ferry leave on time?\n") != std::string::npos);
    CHECK(rd.messages[2].bytes.find("\n>From the minutes") != std::string::npos);
    // Without a '>>From' anywhere, the '>' of '>From' may be the writer's own: kept (mboxo).
    auto o = read_mbox(dir, "o.mbox", first + quoted);
    CHECK(o.report.variant == mbox::Variant::mboxo);
    REQUIRE(o.messages.size() == 2);
    CHECK(o.messages[0].bytes.find("\n>From the harbour office") != std::string::npos);
    CHECK(o.messages[1].bytes == rd.messages[1].bytes);
}

TEST_CASE("Takeout's From_ line sender is 10 to 20 digits at xxx, and nothing else is", "[mbox][takeout]") {
    struct Row {
        const char* sender;
        bool takeout;
    };
    const Row table[] = {
        {"1726000000000104729@xxx", true},  // a Gmail message id, as Takeout writes it
        {"1234567890@xxx", true},           // 10 digits
        {"12345678901234567890@xxx", true},  // 20 digits
        {"123456789@xxx", false},            // 9
        {"123456789012345678901@xxx", false},  // 21
        {"17260000000001047x9@xxx", false},  // not all digits
        {"1726000000000104729@xxx.com", false},
        {"1726000000000104729", false},
        {"harbour-return@lists.example.org", false},  // 14 before the '@'
        // A list's VERP bounce address, as archives write it: long before the '@'.
        {"harbour-return-4711-crew=example.org@lists.example.org", false},
        {"-", false},
        {"", false},
    };
    for (const auto& r : table) {
        CAPTURE(r.sender);
        CHECK(mbox::is_takeout_sender(r.sender) == r.takeout);
    }
}

TEST_CASE("HTML: a '<' before a character just outside the ASCII letters opens no tag", "[mime][html]") {
    // '@' and '[' lie just below and above 'A'-'Z', '`' and '{' just below and above 'a'-'z'.
    for (const char* text : {"<@x>", "<[x]>", "<`x`>", "<{x}>", "<|x|>", "<~x>"}) {
        CAPTURE(text);
        CHECK(mime::html_to_text(std::string("one ") + text + " two") == std::string("one ") + text + " two");
    }
    for (const char* tag : {"<ax>", "<zx>", "<Ax>", "<Zx>"}) {
        CAPTURE(tag);
        CHECK(mime::html_to_text(std::string("one ") + tag + " two") == "one two");
    }
}

TEST_CASE("EmlSource: the received date from a Date: field as broken mail holds it, else the file's time",
          "[eml][import]") {
    struct Row {
        const char* file;
        std::string bytes;
        std::optional<int64_t> date;  // else the file's mtime
    };
    const std::string valid = "Tue, 1 Jul 2003 10:52:37 +0200";
    const Row table[] = {
        // The line between header and body holds a space: it continues the Date field.
        {"space-separator.eml", "Subject: a\r\nDate: " + valid + "\r\n \r\nThe body.\r\n", 1057049557},
        // Obsolete syntax (RFC 5322 4.5.3): blanks between the field name and its colon.
        {"blank-before-colon.eml", "Subject: b\nDate \t: " + valid + "\n\nThe body.\n", 1057049557},
        {"not-a-date.eml", "Subject: c\nDate: the day after the storm\n\nThe body.\n", std::nullopt},
        // No header at all: a digest's preface, its second line indented (no field to continue).
        {"no-header.eml", "Send harbour list submissions to\n\tharbour@lists.example.org\n\nDate: " + valid + "\n",
         std::nullopt},
    };
    ScratchDir dir{"mf-gaps-"};
    const int64_t mtime = 1400000000;
    for (const auto& r : table) {
        mbox_test::write_bytes(dir / r.file, r.bytes);
        import_test::set_mtime(dir / r.file, mtime);
    }
    import_test::Context c;
    eml::EmlSource source({dir.path().string(), ""}, c.ctx());
    auto folders = source.list_folders();
    REQUIRE(folders.ok());
    REQUIRE(folders->size() == 1);
    auto got = import_test::fetch_folder(source, folders->front());
    REQUIRE(got.size() == std::size(table));
    for (const auto& r : table) {
        CAPTURE(r.file);
        auto m = std::find_if(got.begin(), got.end(), [&](const auto& f) { return f.bytes == r.bytes; });
        REQUIRE(m != got.end());
        CHECK(m->received == r.date.value_or(mtime));
        CHECK(m->received_from == (r.date ? "date" : "mtime"));
    }
    CHECK(c.notes.errors().empty());
}

TEST_CASE("the cache's header fields: blanks and tabs before a field's colon, line ends converted twice",
          "[mime][cache]") {
    // Obsolete syntax (RFC 5322 4.5.3), still in old mail and in parser test suites.
    auto f = mime::read_header_fields("Subject \t: harbour dues\r\nFrom\t: Ann <ann@example.org>\r\n"
                                      "Message-ID\t\t:<dues.1@example.org>\r\n\r\nThe body.\r\n");
    CHECK(f.subject == "harbour dues");
    CHECK(f.from == "Ann <ann@example.org>");
    CHECK(f.message_id == "<dues.1@example.org>");
    // LF made CRLF twice on the way ("\r\r\n"): no CR is left in a field.
    auto twice =
        mime::read_header_fields("Subject: harbour dues\r\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\r\n\r\r\nx");
    CHECK(twice.subject == "harbour dues");
    CHECK(twice.date == "Tue, 1 Jul 2003 10:52:37 +0200");
}

TEST_CASE("an unknown charset met again is read as it was the first time", "[mime]") {
    // The converter cache remembers a charset iconv cannot open; the second
    // message in it must not fare differently from the first.
    const std::string latin1 = "caf\xe9 au quai";
    for (int pass = 0; pass < 2; ++pass) {
        CAPTURE(pass);
        CHECK_FALSE(mime::charset_known("x-harbour-8bit"));
        CHECK(mime::to_utf8(latin1, "x-harbour-8bit") == "caf\xc3\xa9 au quai");
    }
}

TEST_CASE("recovery passes over a folder whose Maildir directories a killed run never made", "[cache][recovery]") {
    ScratchDir dir{"mf-gaps-", ScratchDir::in_memory};
    const std::string cache_dir = dir / "cache";
    auto mailbox = std::make_shared<test::MemoryMailbox>();
    mailbox->add_folder(test::kInbox);
    mailbox->add_folder(test::kSent, "\\Sent");
    for (int n = 1; n <= 3; ++n) test::add_generated(*mailbox, test::kSent, n);
    REQUIRE_FALSE(test::fetch_once(cache_dir, mailbox).stopped());
    // A run killed after another folder's directory made mail/ but before
    // INBOX, the Maildir root, got its own cur/ new/ tmp/ (the crash test
    // meets this now and then): INBOX has a row, mail/ exists, nothing else.
    namespace fs = std::filesystem;
    for (const char* sub : {"cur", "new", "tmp"}) REQUIRE(fs::remove(cache_dir + "/mail/" + sub));
    {
        auto c = open_existing(cache_dir);
        auto report = cache::recover(*c);
        REQUIRE(report.ok());
        CHECK(report->adopted == 0);
        CHECK(report->tmp_removed == 0);
        CHECK(report->stale_links_removed == 0);
        CHECK(report->foreign_files == 0);
        CHECK(sql_count(*c, "SELECT count(*) FROM messages") == 3);
    }
    // The next run recovers the same way, fetches nothing again, and makes INBOX's directories.
    test::FetchRun again = test::fetch_once(cache_dir, mailbox);
    REQUIRE_FALSE(again.stopped());
    CHECK(again.report.ok());
    CHECK(again.report.new_messages == 0);
    CHECK(again.report.recovered_adopted == 0);
    CHECK(fs::is_directory(cache_dir + "/mail/cur"));
}
