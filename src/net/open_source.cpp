#include "net/open_source.hpp"

#include "net/imap/imap_source.hpp"
#include "net/pop3/pop3_source.hpp"

namespace mailferry::net {

SourceKind source_kind(const ServerUrl& url) {
    // parse_server_url accepts no other scheme than these four.
    return url.is_imap() ? SourceKind::imap : SourceKind::pop3;
}


Result<std::unique_ptr<MailSource>> open_source(const ConnectOptions& options, UidAssigner assign_uids) {
    if (source_kind(options.url) == SourceKind::pop3) {
        auto conn = Pop3Connection::open(options);
        if (!conn) return conn.error();
        return std::unique_ptr<MailSource>(new Pop3Source(std::move(*conn), std::move(assign_uids), options.warn));
    }
    auto conn = ImapConnection::open(options);
    if (!conn) return conn.error();
    return std::unique_ptr<MailSource>(new ImapSource(std::move(*conn)));
}

}  // namespace mailferry::net
