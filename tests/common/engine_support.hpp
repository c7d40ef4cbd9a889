// What the engine tests share (tests/unit/*_engine_test.cpp): a tiny
// generator of mail with the oddities the engines must carry (bare LF, a NUL
// byte, no Message-ID), a three-folder mailbox of it, and a fetch run as
// `mailferry fetch` makes one, over the in-memory source (memory_mail.hpp).
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "cache/cache.hpp"
#include "mailferry/flags.hpp"
#include "memory_mail.hpp"
#include "pipeline/fetch.hpp"

namespace mailferry::test {

inline const std::string kInbox = "INBOX";
inline const std::string kSent = "Sent";
inline const std::string kArchive = "Archive/2024";

// --- A tiny generator of mail ---

enum class Oddity { none, bare_lf, nul_byte, no_message_id };

// Message n of a folder: sizes from a few hundred bytes to some 60 KB, CRLF
// line endings unless the oddity says otherwise; unique per folder and n.
inline std::string generated_message(const std::string& folder, int n, Oddity oddity) {
    std::string headers = "From: Sender " + std::to_string(n) + " <sender" + std::to_string(n) + "@example.org>\n" +
                          "To: Someone <someone@example.net>\n" + "Subject: " + folder + " message " +
                          std::to_string(n) + "\n" + "Date: Tue, 14 Nov 2023 10:00:00 +0000\n";
    if (oddity != Oddity::no_message_id)
        headers += "Message-ID: <" + std::to_string(n) + "." + std::to_string(folder.size()) + "@mailferry.test>\n";
    std::string body;
    const int lines = 3 + (n * 7919) % 900;  // 3 to ~900 lines of 70 bytes
    for (int i = 0; i < lines; ++i) body += "line " + std::to_string(i) + " of " + folder + std::string(50, 'x') + "\n";
    if (oddity == Oddity::nul_byte) body.insert(body.size() / 2, std::string("a NUL \0 here", 12));
    std::string message = headers + "\n" + body;
    if (oddity == Oddity::bare_lf) return message;
    std::string crlf;
    for (char c : message) c == '\n' ? crlf += "\r\n" : crlf += c;
    return crlf;
}

inline Flags generated_flags(int n) {
    Flags f;
    f.seen = n % 2 == 0;
    f.flagged = n % 3 == 0;
    f.answered = n % 5 == 1;
    if (n % 4 == 2) f.add_imap("$Label1");
    if (n % 6 == 1) f.add_imap("Wichtig");
    return f;
}

inline int64_t generated_date(int n) { return 1700000000 + n * 3 * 86400 + n * 7; }

inline void add_generated(MemoryMailbox& mailbox, const std::string& folder, int n, Oddity oddity = Oddity::none) {
    mailbox.add_message(folder, generated_message(folder, n, oddity), generated_flags(n), generated_date(n));
}

// INBOX, a Sent folder (role \Sent) and a nested Archive/2024, `per_folder`
// messages each (at least 3); the odd messages sit in INBOX.
inline std::shared_ptr<MemoryMailbox> three_folders(int per_folder) {
    auto mailbox = std::make_shared<MemoryMailbox>();
    mailbox->add_folder(kInbox);
    mailbox->add_folder(kSent, "\\Sent");
    mailbox->add_folder(kArchive);
    const Oddity odd[] = {Oddity::bare_lf, Oddity::nul_byte, Oddity::no_message_id};
    for (int n = 1; n <= per_folder; ++n) {
        add_generated(*mailbox, kInbox, n, n <= 3 ? odd[n - 1] : Oddity::none);
        add_generated(*mailbox, kSent, 100 + n);
        add_generated(*mailbox, kArchive, 200 + n);
    }
    return mailbox;
}

// --- Running the engine ---

inline pipeline::FetchOptions quick_options() {
    pipeline::FetchOptions o;
    o.server = "memory";
    o.account = "tester";
    o.connections = 1;  // one connection: the steps of a run come in one order
    o.batch_messages = 4;  // several batches per folder
    o.index_text = false;
    o.retry.sleep = [](std::chrono::milliseconds) {};
    return o;
}

struct FetchRun {
    std::optional<Error> failed;  // no first connection, or run_fetch itself failed
    pipeline::FetchReport report;
    bool stopped() const { return failed.has_value() || report.fatal.has_value(); }
};

// One run as `mailferry fetch` makes it: the first connection before the cache is opened.
inline FetchRun fetch_once(const std::string& cache_dir, const std::shared_ptr<MemoryMailbox>& mailbox,
                    const pipeline::FetchOptions& options = quick_options()) {
    auto open_source = test::memory_source_factory(mailbox);
    auto first = open_source();
    if (!first) return {first.error(), {}};
    auto cache = cache::Cache::open(cache_dir, cache::OpenMode::create_if_missing);
    REQUIRE(cache.ok());
    pipeline::FetchProgress progress;
    auto report = pipeline::run_fetch(**cache, std::move(*first), open_source, options, progress);
    if (!report) return {report.error(), {}};
    return {std::nullopt, std::move(*report)};
}

}  // namespace mailferry::test
