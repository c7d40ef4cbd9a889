// A Maildir tree as a MailSource (docs/architecture.md §1: import is a file-format source
// into the cache, through the fetch pipeline). What counts as a folder and as
// a message: maildir_reader.hpp.
//
// Identity: a message's key is the unique part of its file name (before the
// ":2," info), the part every Maildir program keeps when it renames the file
// for a flag change; so an import of the same tree again adds nothing, and
// one after a mail client read some messages only refreshes their flags.
// Flags come from the info suffix (keyword letters through the folder's
// dovecot-keywords); the received date is the file's mtime (Dovecot keeps
// INTERNALDATE there).
//
// Thread-safety: one source per thread (MailSource's contract).
#pragma once

#include <string>
#include <vector>

#include "formats/file_list_source.hpp"
#include "formats/maildir/maildir_reader.hpp"

namespace mailferry::maildir {

struct MaildirSourceOptions {
    std::string root;    // the tree's root directory
    // UTF-8; when set, the root (INBOX) becomes this folder and every other
    // folder goes below it. Empty: INBOX and its siblings as they are.
    std::string folder;
};

class MaildirSource final : public formats::FileListSource {
public:
    MaildirSource(MaildirSourceOptions options, formats::SourceContext context);

    Result<std::vector<SourceFolder>> list_folders() override;

private:
    Result<std::vector<formats::FileEntry>> entries_of(const SourceFolder& folder) override;
    std::optional<std::string_view> message_of(const formats::FileEntry& entry, std::string_view bytes) override;

    MaildirSourceOptions options_;
    std::vector<std::pair<SourceFolder, std::string>> folders_;  // and their directories
};

}  // namespace mailferry::maildir
