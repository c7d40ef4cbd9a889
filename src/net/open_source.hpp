// From a server URL to a MailSource: the one place that knows which protocol
// each scheme speaks, so that every caller (the fetch command, a batch runner,
// a web view) opens a mailbox the same way.
#pragma once

#include <memory>
#include <string>

#include "mailferry/mail_source.hpp"
#include "net/imap/imap_connection.hpp"
#include "net/source_url.hpp"

namespace mailferry::net {

// imaps:// and imap:// are IMAP, pop3s:// and pop3:// POP3; TLS or STARTTLS
// is the URL's Security, not a kind of its own.
SourceKind source_kind(const ServerUrl& url);

// Connects to the mailbox options.url names, logs in and returns it as a
// MailSource. A POP3 mailbox has no UIDs of its own: it asks assign_uids for
// them (unused for IMAP). Warnings go to options.warn, which must outlive the
// source. Errors are those of ImapConnection::open or Pop3Connection::open
// (radius account).
Result<std::unique_ptr<MailSource>> open_source(const ConnectOptions& options, UidAssigner assign_uids);

}  // namespace mailferry::net
