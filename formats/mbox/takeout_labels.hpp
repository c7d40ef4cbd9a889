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

// The special-use role Gmail gives a folder label ("\\Sent", ...), or "".
std::string takeout_label_role(std::string_view folder);

}  // namespace mailferry::mbox
