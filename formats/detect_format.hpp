// What a path given to `import` holds, and how it is imported: one source per
// mbox file, per Maildir tree, per tree of message files.
//
// --format auto:
//  - a file: mbox when it is gzip-compressed, starts with a From_ line
//    ("From ", after a UTF-8 BOM) or is empty, else one message (EML);
//  - a directory: a Maildir tree when maildir::is_maildir_tree says so (the
//    root holds cur/, new/ or Maildir++ folders, or every file below it lies
//    in a Maildir folder: mbsync's layout, a directory of Maildirs); else a
//    directory of mbox files when every file below it looks like an mbox;
//    else a tree of message files. A directory that mixes loose message files
//    and Maildirs is a tree of message files unless --format maildir.
//
// Folder names come from the path below the given path's parent: x.mbox is
// folder "x" (the extension and a .gz dropped), mbox files in a directory
// d/ are "d/sub/x", message files in d/sub/ are "d/sub". A --folder NAME
// replaces the given path's own name; for a Maildir it names the folder its
// INBOX becomes (the others below it).
#pragma once

#include "mailferry/mail_source.hpp"

#include <string>
#include <vector>

#include "mailferry/result.hpp"

namespace mailferry::formats {

enum class Format { auto_detect, mbox, maildir, eml };

const char* format_name(Format f);
// The source kind the cache records for a file of this format (auto_detect: mbox).
SourceKind source_kind_of(Format f);

struct ImportUnit {
    Format format = Format::mbox;  // never auto_detect
    std::string path;              // absolute
    // mbox: the folder of its messages (never empty). Maildir, EML: --folder
    // as given ("" for the source's own default).
    std::string folder;
};

// Errors: not_found (no such path), usage (a format that cannot apply, such
// as --format maildir on a file).
Result<std::vector<ImportUnit>> plan_import(const std::string& path, Format format, const std::string& folder);

bool looks_like_mbox(const std::string& file);
bool looks_like_maildir(const std::string& dir);
// "x.mbox" -> "x", "x.mbox.gz" -> "x", "Inbox" -> "Inbox".
std::string mbox_folder_name(const std::string& file_name);

}  // namespace mailferry::formats
