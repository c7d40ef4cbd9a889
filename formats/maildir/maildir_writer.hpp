// Writes messages into a Maildir++ tree under the durability contract of
// docs/architecture.md §4: a file is complete and durable in tmp/ before it is renamed
// into cur/, and the rename is durable before the caller records it anywhere.
// Used by the cache (fetch, import) and by the Maildir exporter: one writer.
//
// Everything below the root is made and opened relative to open directories
// (wrap::DirectoryHandle): no link below the root is ever followed, files
// are created new (O_EXCL), a link where a folder, cur/new/tmp or a file
// belongs is an error naming it. A message is staged under its base name in
// tmp/ (base.1, base.2... when a leftover of an interrupted run holds it).
//
// Not thread-safe: one writer per thread. Paths it returns are relative to the
// Maildir++ root, e.g. ".Lists.dev/cur/1700000000.U7_42.mailferry,S=900:2,S".
// It holds four descriptors for the folder it last ensured, and for each
// folder with staged messages.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "formats/maildir/dovecot_keywords.hpp"
#include "mailferry/flags.hpp"
#include "mailferry/result.hpp"
#include "wrap/directory_handle.hpp"

namespace mailferry::maildir {

class MaildirWriter {
public:
    // The cache: root is made (mode 0700) and opened at first use; a link at root itself is followed.
    explicit MaildirWriter(std::string root);
    // Export: root is DEST, already open.
    explicit MaildirWriter(wrap::DirectoryHandle root);
    ~MaildirWriter();  // removes staged files that were never committed
    MaildirWriter(const MaildirWriter&) = delete;
    MaildirWriter& operator=(const MaildirWriter&) = delete;

    // Creates <dir>/{cur,new,tmp} (and the maildirfolder marker below the root), mode 0700.
    Status ensure_folder(const std::string& dir);

    // Writes one message into <dir>/tmp/<base> with mtime = received. Not durable yet.
    // keyword_letters: Dovecot keyword letters (DovecotKeywords::letters), put
    // after the system flag letters in its name; the caller has made the
    // folder's dovecot-keywords durable first (write_dovecot_keywords). The
    // cache passes none: its keywords live in the index.
    Status stage(const std::string& dir, const std::string& base, std::string_view bytes,
                 int64_t received, const Flags& flags, std::string_view keyword_letters = {});

    // Replaces <dir>/dovecot-keywords with `keywords`, durably: written to a
    // temporary name beside it, synced, renamed over it, the rename synced.
    // Its mtime grows past the old file's, as Dovecot's cache of the file needs.
    Status write_dovecot_keywords(const std::string& dir, const DovecotKeywords& keywords);
    // <dir>/dovecot-keywords as it is (empty when there is none); the folder is ensured first.
    Result<DovecotKeywords> read_dovecot_keywords(const std::string& dir);

    // Makes every staged file durable, renames each into cur/ with its flags,
    // makes the renames durable. Returns the new paths in staging order.
    Result<std::vector<std::string>> commit();

    // Removes staged files (a failed batch).
    void abort();

    size_t staged_count() const { return staged_.size(); }
    uint64_t staged_bytes() const { return staged_bytes_; }

    // A flag change renames a file. To keep "an index row never points at a
    // missing file", the new name is first a hard link: the caller updates the
    // index, then removes the old name. Returns the new relative path.
    Result<std::string> link_with_flags(const std::string& rel_path, const Flags& flags);
    // Makes links and removals in these folders durable.
    Status sync_folders(const std::set<std::string>& dirs);

    const std::string& root() const { return root_; }
    std::string absolute(const std::string& rel_path) const { return root_ + "/" + rel_path; }

private:
    struct Staged {
        std::string dir, base, tmp_name, letters;
    };
    struct FolderDirectories {
        wrap::DirectoryHandle folder, cur, fresh, tmp;  // fresh: new/
    };
    Result<const wrap::DirectoryHandle*> root_directory();
    // The folder's directories: made when create, else opened (a missing one is an error).
    Result<FolderDirectories*> folder(const std::string& dir, bool create);

    std::string root_;
    wrap::DirectoryHandle root_dir_;  // opened at first use
    std::map<std::string, FolderDirectories> folders_;
    std::vector<Staged> staged_;
    uint64_t staged_bytes_ = 0;
};

// The folder directory part of a relative path (".A.B/cur/x" -> ".A.B", "cur/x" -> "").
std::string folder_of(std::string_view rel_path);

}  // namespace mailferry::maildir
