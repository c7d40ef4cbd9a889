// Export: the cache into files (docs/architecture.md §1: the cache written out
// by a file format's writer). A cache stays the master copy; an export is a plain archive for
// other tools.
//
//  - mboxrd / mboxo: one mbox file per folder, DEST/<levels>.mbox (the folder's
//    levels as directories, each sanitised: export_paths.hpp), written with
//    formats/mbox's MboxWriter: From_ line with the envelope sender
//    (Return-Path, else From:, else MAILER-DAEMON) and the received date.
//    No Status:/X-Status: lines are added: the bytes stay as cached.
//  - maildir: a Maildir++ tree at DEST named as the cache's own mail/ tree
//    (INBOX = DEST/{cur,new,tmp}, folders .A.B with listescape), flags in the
//    ":2," suffix, mtime = received date, written by formats/maildir's
//    MaildirWriter (tmp/, sync, cur/, sync). Keywords as Dovecot writes them:
//    each folder's dovecot-keywords file gives letters a..z to the keywords
//    its messages use (the letters an existing file gave kept, new ones by
//    how many messages use them, then by name), written durably before any
//    message file that uses them; the letters follow the system flags in the
//    ":2," suffix, sorted ("...:2,FSab"). A folder using more than 26
//    keywords (Dovecot's limit) exports the rarest without their letters:
//    one warning per folder names them and counts the messages; the cache
//    keeps them.
//  - eml: a directory per folder (as for mbox, without suffix) holding one
//    file per message, named by eml::file_name, unique in its directory.
//
// Every exported message is the cached file's bytes (mbox: escaped, which a
// reader undoes; a message without a final line break gets one, counted).
// Messages are exported in received order (then UIDVALIDITY, UID), gone ones
// (deleted on the source, kept in the cache) included. Nothing is written
// outside DEST; DEST and every directory created are 0700, files 0600.
//
// Before writing anything, every file the export would replace is looked
// for: without force, any one of them stops the export (kind usage, the first
// named) and DEST is left as it was. With force they are replaced (Maildir:
// the same message under other flags is removed once the new file is durable).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/cache_reader.hpp"

namespace mailferry::pipeline {

enum class ExportFormat { mboxrd, mboxo, maildir, eml };

std::optional<ExportFormat> parse_export_format(std::string_view name);
const char* export_format_name(ExportFormat format);

struct ExportOptions {
    std::string dest;
    ExportFormat format = ExportFormat::mboxrd;
    std::vector<std::string> include, exclude;  // folder patterns ('*', '%'), as for fetch
    bool force = false;                         // replace existing files
    // Maildir: files made durable and renamed into cur/ per batch.
    uint64_t batch_bytes = 16ull << 20;
    size_t batch_messages = 2000;
};

// Live counters, read by the progress bar from another thread.
struct ExportProgress {
    std::atomic<uint64_t> folders_total{0}, folders_done{0};
    std::atomic<uint64_t> messages_planned{0}, bytes_planned{0};
    std::atomic<uint64_t> messages_done{0}, bytes_done{0};
};

struct ExportFolderReport {
    std::string name;  // UTF-8, as the cache shows it
    std::string path;  // relative to DEST: the mbox file, the EML or Maildir++ folder directory ("." = DEST)
    uint64_t messages = 0, bytes = 0;  // exported; bytes as cached
    uint64_t gone = 0;                 // of them, deleted on the source
    uint64_t newlines_added = 0;       // mbox: messages that got a final line break
    uint64_t escaped_lines = 0;        // mbox: From_ lines escaped with '>'
    uint64_t replaced = 0;             // existing files replaced (force)
    std::vector<std::string> errors;   // messages not exported, one line each
    std::vector<std::string> warnings; // exported with a loss (Maildir: keywords without a letter), one line each
};

struct ExportReport {
    std::vector<ExportFolderReport> folders;
    uint64_t messages = 0, bytes = 0, gone = 0, newlines_added = 0, escaped_lines = 0, replaced = 0;
    std::vector<std::string> errors;    // one line each: every message not exported
    std::vector<std::string> warnings;  // one line each
    double seconds = 0;
    std::optional<Error> fatal;         // what stopped the export (disk full...), if anything
    bool ok() const { return !fatal && errors.empty(); }
};

// Runs a whole export. The Result is an error when nothing was written: a
// bad DEST (inside the cache, or the cache inside it; not a directory),
// files to replace without force (usage), an unreadable index.
Result<ExportReport> run_export(cache::CacheReader& cache, const ExportOptions& options, ExportProgress& progress);

}  // namespace mailferry::pipeline
