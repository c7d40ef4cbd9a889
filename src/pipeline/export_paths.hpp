// Where export puts each folder below DEST for the formats with a file or a
// directory per folder (mbox, EML). Folder names come from mail, so they may
// hold anything: "../../x", "/etc", '/' or '\\' inside a level, control
// characters, invalid UTF-8. Each level becomes one path component that
//  - is never empty, ".", ".." or hidden (a leading '.' becomes '_');
//  - holds no '/', '\\', control character (C0, DEL, C1) or bidi control,
//    and none of < > : " | ? * (reserved on NTFS/FAT, where archives get copied);
//  - holds only valid UTF-8 (an invalid byte becomes '_'; non-ASCII letters stay);
//  - does not end in '.' or ' ', is not a Windows device name (CON, NUL, COM1...);
//  - is at most kMaxComponentBytes long (cut at a character boundary).
// So a path built from these components never leaves DEST. Two folders that
// end up with the same path (after sanitising, or differing only in ASCII
// case) get " (2)", " (3)"... on the later one, in the order asked.
//
// Not thread-safe: one ExportPaths per export.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/result.hpp"
#include "wrap/directory_handle.hpp"

namespace mailferry::pipeline {

constexpr size_t kMaxComponentBytes = 200;

// One folder level as a file or directory name (rules above).
std::string safe_component(std::string_view level);
// A file name that comes from mail (an attachment's): the same rules, but a
// name over kMaxComponentBytes is cut in its stem so that its extension
// (".pdf": up to 16 letters, digits, '-' or '_') stays.
std::string safe_file_name(std::string_view name);

// A directory mailferry writes into (export's DEST, show's attachment
// folder), checked before anything is written: it must be a directory or not
// exist yet, and it and the cache must not contain each other (what is
// written there would land among the cache's own files). what names it in
// the error ("the export directory"). Errors: usage; io when a path cannot
// be resolved.
Status check_output_directory(const std::string& cache_dir, const std::string& dir, std::string_view what);
// Creates dir and its missing parents 0700 (mail is private). One that exists
// keeps its mode, with a warning if other users may read it.
Status make_output_directory(const std::string& dir, std::vector<std::string>& warnings);
// The same, and dir opened: everything below it is then made through the
// handle (export). dir itself must not be a symbolic link; its mode is
// checked on what was opened, so no link swapped in after the check counts.
Result<wrap::DirectoryHandle> open_output_directory(const std::string& dir, std::vector<std::string>& warnings);

class ExportPaths {
public:
    // The directory of the folder with these levels (its own messages, and
    // the directories of its subfolders), relative to DEST: "Lists/dev".
    std::string folder_directory(const std::vector<std::string>& levels);
    // The folder as one file: its parent levels as directories (shared with
    // the folder's siblings), its last level plus suffix: "Lists/dev.mbox".
    std::string folder_file(const std::vector<std::string>& levels, std::string_view suffix);
    // Whether rel (compared without regard to ASCII case) was given out.
    bool taken(const std::string& rel) const;

private:
    std::string unique(const std::string& parent, const std::string& base, std::string_view suffix);
    // Keyed by the original levels: every folder below "A" lands in the same directory.
    std::map<std::vector<std::string>, std::string> dirs_;
    std::set<std::string> taken_;  // lower-cased
};

}  // namespace mailferry::pipeline
