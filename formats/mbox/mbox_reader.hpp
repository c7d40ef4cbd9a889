// Reads an mbox file (plain or gzip) and hands each message to a callback,
// streaming: memory is bounded by the largest message, not by the file.
//
// What a message is (the rules, and why, are in formats/mbox/README.md):
//  - A message starts after its From_ line and ends before the next From_
//    line that splits messages, or at the end of the data. A strict From_ line
//    (with a date) always splits; a weak one ("From -", "From ", "From id") only
//    when the file's first From_ line was weak too and the next line is a
//    header field. Content-Length: is trusted only when it is right.
//  - The empty line before a From_ line (and a last empty line at the end of
//    the file) is the mbox separator and is not part of the message. Nothing
//    else is removed: line endings (LF, CRLF, CR) stay as in the file.
//  - mboxrd un-escaping removes one '>' from lines matching ^>+From ; mboxo
//    leaves them. Variant::auto_detect picks mboxrd when the file holds a line
//    matching ^>>+From , else mboxo.
//  - Bytes before the first From_ line are one message when they start with a
//    header field (a file missing its first From_ line), else skipped; both
//    with a warning. A UTF-8 BOM before the first From_ line is dropped.
//  - Problems that cost no message (or one unusable one) are warnings; the
//    read goes on. A read error (I/O, corrupt or truncated gzip) ends the read
//    with an error; every message completed before it has been delivered.
//
// Thread-safety: one reader per thread. Bytes and views handed to the callback
// are valid only during the call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/flags.hpp"
#include "mailferry/result.hpp"

namespace mailferry::mbox {

enum class Variant {
    auto_detect,  // reader only: mboxrd if some line matches ^>>+From , else mboxo
    mboxo,        // ^From  escaped as >From ; >From  lines kept as they are
    mboxrd,       // ^>*From  escaped by one more '>'; un-escaped by one '>'
};

const char* variant_name(Variant v);

struct ReaderOptions {
    Variant variant = Variant::auto_detect;
    // Trust a Content-Length: header (mboxcl/mboxcl2) when it points exactly at
    // the end of the data or at an empty line followed by a From_ line.
    bool use_content_length = true;
    size_t chunk_size = 1 << 20;
    // Larger messages are skipped with a warning (a hard limit against a file
    // that is one endless message). Their size counts the escaped bytes.
    uint64_t max_message_bytes = uint64_t{1} << 30;
    // At most this many warnings are kept; the rest are only counted.
    size_t max_warnings = 1000;
};

struct MboxMessage {
    std::string_view bytes;        // the message, un-escaped; valid during the callback
    uint64_t offset = 0;           // of its From_ line (or first byte) in the decompressed stream
    uint64_t index = 0;            // 0, 1, 2, ... in file order, over delivered messages
    bool has_from_line = true;     // false: bytes before the first From_ line taken as a message
    std::string_view sender;       // From_ line sender; "" when none or empty
    std::optional<int64_t> date;   // From_ line date, epoch seconds; none for a weak From_ line
    Flags flags;                   // from Status:, X-Status:, X-Keywords:
    bool old = false;              // Status: O (not \Recent any more)
    std::optional<std::string> gmail_labels;  // X-Gmail-Labels: (Google Takeout), unfolded, raw
    bool folder_internal_data = false;        // UW-IMAP pseudo message (see mbox_headers.hpp)
    bool content_length_used = false;         // its end came from a (right) Content-Length:
};

struct Warning {
    uint64_t offset = 0;  // in the decompressed stream
    std::string text;
};

struct ReadReport {
    uint64_t messages = 0;          // delivered to the callback
    uint64_t skipped = 0;           // not delivered: too big, empty, garbage before the first From_
    uint64_t bytes = 0;             // decompressed bytes read
    bool gzip = false;
    char line_end = '\n';           // '\r' for a file with CR-only line endings (CRLF files: '\n')
    // The variant applied: options.variant, or what auto-detection decided.
    // auto_detect when no line needed the decision (mboxo and mboxrd agree).
    Variant variant = Variant::auto_detect;
    std::vector<Warning> warnings;
    uint64_t warnings_dropped = 0;  // beyond max_warnings
};

using MessageCallback = std::function<Status(const MboxMessage&)>;

class MboxReader {
public:
    explicit MboxReader(std::string path, ReaderOptions options = {});
    ~MboxReader();
    MboxReader(const MboxReader&) = delete;
    MboxReader& operator=(const MboxReader&) = delete;

    // Reads the whole file once. Returns the callback's first error (and stops),
    // or the read error (not found, I/O, broken gzip: kind invalid_data, naming
    // the file and the offsets). The report is filled either way.
    Status read(const MessageCallback& on_message);

    const ReadReport& report() const { return report_; }

private:
    std::string path_;
    ReaderOptions options_;
    ReadReport report_;
};

}  // namespace mailferry::mbox
