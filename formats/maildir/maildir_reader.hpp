// Reads a Maildir tree as other programs leave it: Dovecot's Maildir++
// (INBOX in the root, folders in ".A.B" directories), file-system layout trees
// (notmuch, Dovecot LAYOUT=fs: folders are subdirectories, at any depth), and
// flat Maildirs. The counterpart of MaildirWriter; MaildirSource serves it to
// the fetch pipeline.
//
// What is a folder: the root when it holds cur/ or new/ (INBOX); a directory
// ".X" in the root holding cur/, new/ or a maildirfolder marker (Maildir++; an
// empty Dovecot folder may have nothing but the marker); a subdirectory not
// starting with '.' (other than cur/, new/, tmp/) holding cur/, new/ or
// message files with an info suffix, and the Maildir++ folders of such a
// subdirectory (a directory of Maildirs: each one's own tree below its name).
// Other hidden directories (".notmuch") are never descended into, symbolic
// links to directories are not followed, and the depth is limited.
//
// What is a message: every file in cur/ and new/ whose name does not start with
// '.', and every file directly in the folder directory whose name carries a
// Maildir info suffix (":2," or "!2,"): notmuch's own corpus keeps mail there,
// and a name with an info suffix is a message by its own word. Other files
// there are the control files of the program that wrote the tree (Dovecot's
// dovecot-uidlist, dovecot.index*, subscriptions, maildirfolder) and are left
// alone. Files in tmp/ are deliveries in progress and are not messages yet.
//
// Pure reading, no side effects. Not thread-safe per call (no shared state).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mailferry/flags.hpp"
#include "mailferry/result.hpp"

namespace mailferry::maildir {

struct MaildirFolderInfo {
    // Levels as an IMAP server would name them: modified UTF-7 (Maildir++
    // names are that on disk, with listescape undone; file-system layout names
    // are encoded when they are plain UTF-8). {"INBOX"} for the root.
    std::vector<std::string> levels;
    std::string path;  // the folder's directory
};

// A folder directory: it holds cur/ or new/ or message files with an info suffix.
bool is_maildir_folder(const std::string& dir);
// A Maildir tree: the root is a folder or has Maildir++ folders; or every file
// below it (hidden ones aside) lies in a folder directory (a tree without
// INBOX, as mbsync writes, or a directory of Maildirs).
bool is_maildir_tree(const std::string& dir);

// The folders of the tree at root, the root (INBOX) first, then by path.
// Errors: not_found when root is not a directory.
Result<std::vector<MaildirFolderInfo>> list_maildir_folders(const std::string& root);

struct MaildirFile {
    std::string key;   // the unique part of its name: before ":2," or "!2,"
    std::string path;  // the file
    std::string info;  // the letters after ":2," ("" when none)
    uint64_t size = 0;
    int64_t mtime = 0;
};

struct MaildirListing {
    std::vector<MaildirFile> files;     // sorted by key, each key once
    std::vector<std::string> warnings;  // one line each, naming the file
};

// The messages of one folder directory. A key found twice (a file in new/ and
// in cur/ while another program renames it) is listed once, preferring cur/.
Result<MaildirListing> list_maildir_messages(const std::string& folder_dir);

// Dovecot's dovecot-keywords in a folder directory: keyword letter ('a' is
// index 0) -> keyword, read as DovecotKeywords::parse reads it. Empty when
// the file is missing or unreadable.
std::map<char, std::string> read_dovecot_keywords(const std::string& folder_dir);

// The flags of an info suffix: D F R S T as the Maildir spec says, P (passed:
// forwarded, bounced or resent) as the keyword $Forwarded, lowercase letters
// through the keyword map; unknown letters are ignored.
Flags flags_from_info(std::string_view letters, const std::map<char, std::string>& keywords);

}  // namespace mailferry::maildir
