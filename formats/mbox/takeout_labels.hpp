// Google Takeout's X-Gmail-Labels header: what the labels of a message mean
// for the import. Gmail has labels, not folders; its IMAP server shows each
// label as a folder and a message in every folder of its labels. Takeout
// writes them all into one mbox ("All mail Including Spam and Trash.mbox"),
// each message with its labels in this header, e.g.
//   X-Gmail-Labels: Inbox,Important,Opened,Category Updates,"Work, old",Projekte/2024
//
// - Folder labels: every label except the ones below; "Inbox" is INBOX;
//   Sent, Drafts, Spam, Trash and Archived get their special-use role.
//   Nested labels use '/', as in Gmail. Labels in RFC 2047 encoded words
//   (=?UTF-8?Q?...?=) are decoded.
// - Labels that are state, not places: Opened (\Seen), Unread (not \Seen),
//   Starred (\Flagged), Important, and the inbox tabs "Category ...".
// The raw header stays in the message bytes in the cache, unchanged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailferry::mbox {

struct TakeoutLabels {
    std::vector<std::string> labels;   // every label, decoded, in the header's order
    std::vector<std::string> folders;  // the folder labels among them (UTF-8, '/' between levels), each once
    bool opened = false;               // Opened
    bool unread = false;               // Unread
    bool starred = false;              // Starred
};

// value: the header's value, unfolded (MboxMessage::gmail_labels).
TakeoutLabels parse_takeout_labels(std::string_view value);

// Whether a From_ line's sender is Google Takeout's: the message's Gmail id
// in decimal at "xxx" ("From 1712345678901234567@xxx Mon Jan 01 ..."). Only a
// file whose first From_ line has it is taken for a Takeout export: anyone
// can write an X-Gmail-Labels header into a message, and in another mbox it
// must not choose the folders of the import.
bool is_takeout_sender(std::string_view sender);

// Hard limits on what labels can make of one file: a message's folder labels
// beyond the first kMaxLabelsPerMessage, and new label folders beyond
// kMaxLabelFolders, are not made into folders (said in a warning).
inline constexpr size_t kMaxLabelsPerMessage = 64;
inline constexpr size_t kMaxLabelFolders = 1000;

// The special-use role Gmail gives a folder label ("\\Sent", ...), or "".
std::string takeout_label_role(std::string_view folder);

}  // namespace mailferry::mbox
