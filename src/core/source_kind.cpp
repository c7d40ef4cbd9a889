#include "mailferry/mail_source.hpp"

namespace mailferry {

const char* source_kind_name(SourceKind kind) {
    switch (kind) {
        case SourceKind::imap: return "imap";
        case SourceKind::pop3: return "pop3";
        case SourceKind::mbox: return "mbox";
        case SourceKind::maildir: return "maildir";
        case SourceKind::eml: return "eml";
    }
    return "imap";  // unreachable: every kind is named above
}

std::optional<SourceKind> parse_source_kind(std::string_view name) {
    for (SourceKind k : {SourceKind::imap, SourceKind::pop3, SourceKind::mbox, SourceKind::maildir, SourceKind::eml})
        if (name == source_kind_name(k)) return k;
    return std::nullopt;
}

bool is_network_source(SourceKind kind) { return kind == SourceKind::imap || kind == SourceKind::pop3; }

}  // namespace mailferry
