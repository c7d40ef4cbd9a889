// A thin RAII wrapper over one libetpan IMAP session: it turns libetpan's C
// structures into C++ values and its return codes into Errors, and decides
// nothing else (the protocol policy lives in net/imap/).
//
// One session per thread. Bytes handed to a fetch callback live only during
// the call: libetpan frees each message as soon as the callback returns, which
// is what keeps memory flat during a large FETCH.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailferry/flags.hpp"
#include "mailferry/result.hpp"
#include "wrap/protocol_trace.hpp"

struct mailimap;
struct _mailstream;
struct mailimap_search_key;

namespace mailferry::wrap {

struct ListEntry {
    std::string raw_name;                 // as sent (modified UTF-7)
    char delimiter = '\0';
    std::vector<std::string> attributes;  // "\\Noselect", "\\Sent", "\\HasChildren", ...
};

struct SelectInfo {
    uint32_t uidvalidity = 0, uidnext = 0, exists = 0;
    uint64_t highest_modseq = 0;  // STATUS or EXAMINE with CONDSTORE; 0 when not asked or not said
};

// Which items a UID FETCH asks for.
enum FetchItem : unsigned {
    fetch_uid = 1,
    fetch_flags = 2,
    fetch_internaldate = 4,
    fetch_size = 8,
    fetch_body = 16,  // BODY.PEEK[]: never sets \Seen on the source
    fetch_message_id = 32,  // BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]
};

struct MessageAttributes {
    uint32_t uid = 0;
    uint64_t size = 0;
    int64_t internaldate = 0;
    bool has_internaldate = false;
    bool has_flags = false;
    Flags flags;
    std::string_view body;
    bool has_body = false;
    std::string_view header_fields;  // fetch_message_id: "Message-ID: <...>\r\n\r\n"
};

using UidRanges = std::vector<std::pair<uint32_t, uint32_t>>;  // inclusive; second 0 means '*'

// The largest message a fetch reads unless told otherwise (--max-message-size):
// above Exchange Online's 150 MB, so that nothing it can hold is refused.
inline constexpr uint64_t kDefaultMaxMessageSize = 200ull << 20;

// Every session reads through a guard (stream_guard.hpp): replies are bounded
// in size, line length and time, whatever the server announces.
class ImapSession {
public:
    explicit ImapSession(int timeout_seconds, uint64_t max_message_size = kDefaultMaxMessageSize);
    ~ImapSession();  // logs out when still connected, then frees
    ImapSession(const ImapSession&) = delete;
    ImapSession& operator=(const ImapSession&) = delete;

    Status connect_tls(const std::string& host, uint16_t port);    // implicit TLS, SNI = host
    Status connect_plain(const std::string& host, uint16_t port);
    Status starttls(const std::string& host);
    bool preauthenticated() const { return preauth_; }

    Result<std::vector<std::string>> capability();  // upper-cased: "IMAP4REV1", "AUTH=PLAIN"
    Status login(const std::string& user, const std::string& password);
    // AUTHENTICATE with a one-step SASL mechanism (XOAUTH2, OAUTHBEARER).
    // initial_response is raw (encoded here), sent on the command line when
    // sasl_ir, else after the server's empty "+". A "+ <challenge>" after it is
    // the server's error report (RFC 7628 §3.2.2; Dovecot and Gmail send one,
    // Exchange answers NO at once): it is answered with failure_ack so that
    // the tagged NO follows, and its decoded text goes into server_text.
    // A refusal is kind auth; a lost connection kind temporary.
    Status authenticate(const std::string& mechanism, std::string_view initial_response, bool sasl_ir,
                        std::string_view failure_ack);
    // Sends a command without arguments that libetpan does not know ("COMPRESS DEFLATE").
    Status simple_command(const std::string& command);
    Result<std::vector<ListEntry>> list(const std::string& pattern, bool use_xlist);
    // with_modseq (only where the server has CONDSTORE): EXAMINE (CONDSTORE),
    // whose reply says the folder's HIGHESTMODSEQ (RFC 7162 §3.1.8).
    Result<SelectInfo> examine(const std::string& raw_name, bool with_modseq = false);
    // STATUS (UIDVALIDITY UIDNEXT MESSAGES [HIGHESTMODSEQ]): a folder's state
    // without opening it. with_modseq only where the server has CONDSTORE.
    Result<SelectInfo> status(const std::string& raw_name, bool with_modseq);
    Status uid_fetch(const UidRanges& ranges, unsigned items,
                     const std::function<void(const MessageAttributes&)>& on_message);
    Status logout();

    // For replay: SELECT (read-write), returning UIDVALIDITY and whether the
    // server takes new keywords (PERMANENTFLAGS has \*).
    Result<SelectInfo> select(const std::string& raw_name, bool* keywords_allowed = nullptr);
    // CREATE; "already exists" is success.
    Status create(const std::string& raw_name);
    // Whether LIST shows a folder of exactly this name.
    bool is_listed(const std::string& raw_name);
    Status subscribe(const std::string& raw_name);
    // UID SEARCH HEADER field value (US-ASCII only, as Exchange requires).
    Result<std::vector<uint32_t>> uid_search_header(const std::string& field, const std::string& value);
    // UID SEARCH for messages of exactly this size whose INTERNALDATE lies
    // within two days of received (SEARCH dates are whole days in the
    // server's time zone; the caller compares the exact date).
    Result<std::vector<uint32_t>> uid_search_size_date(uint64_t size, int64_t received);
    // UID STORE uids +FLAGS.SILENT or -FLAGS.SILENT with the system flags set
    // in system_flags (\Seen, \Answered, \Flagged, \Draft; nothing else).
    Status uid_store_flags(const UidRanges& ranges, const Flags& system_flags, bool add);
    // UID STORE +FLAGS.SILENT (\Deleted), then UID EXPUNGE of the same UIDs
    // (RFC 4315: the server must offer UIDPLUS), piece by piece.
    Status uid_delete(const UidRanges& ranges);

    // RFC 2177 IDLE on the selected folder until the server reports a change
    // (an untagged EXISTS, EXPUNGE, RECENT or FETCH), max_wait passes, or
    // wake_fd (-1: none) becomes readable; then DONE and the tagged reply.
    // A server that refuses IDLE gives an error of kind protocol, radius folder.
    enum class IdleEnd { changed, timed_out, woken };
    Result<IdleEnd> idle(std::chrono::milliseconds max_wait, int wake_fd);

    _mailstream* stream() const;
    // The text of the server's last tagged or untagged status line.
    std::string last_response() const;
    // COMPRESS=DEFLATE after the server's OK to it: our deflate layer goes in
    // below the guard, which then counts inflated bytes. "" or an error line.
    std::string start_deflate();

    // For our own reader of FETCH responses (net/imap/imap_source.cpp), which
    // sees each literal's announced size before it reads a byte of it: lines
    // and literals straight from the stream, through the guard. Its tags
    // ("mfr1", "mfr2"...) never collide with libetpan's numeric ones.
    std::string next_tag();
    Status send_line(const std::string& line);  // CRLF added
    // One line without its line ending (NUL bytes kept). When it fails, *head
    // gets the first bytes of what had come of the line: enough to name the message.
    Result<std::string> read_line(std::string* head = nullptr);
    // An announced literal of n bytes, appended to *out (nullptr: read and dropped).
    Status read_literal(uint64_t n, std::string* out);
    // One message's response starts: it has --timeout seconds, then must
    // average 4 KB/s (a whole-message deadline), and brings at most
    // max_message_size() bytes plus its lines. end_message_responses() goes
    // back to a command's limits.
    void begin_message_response();
    void end_message_responses();
    // A reply was left half read: the connection is of no further use.
    void abandon();
    // Whether the guard cut the last reply off for its length, size or pace
    // (not for a lost connection): the reply's fault, not the network's.
    bool stopped_by_limit() const;
    // The error for a failed read or write: what the guard stopped, or a lost connection.
    Error stream_error(const std::string& what) const;
    uint64_t max_message_size() const { return max_message_size_; }

private:
    Error error_from(int rc, const std::string& what) const;
    // Reads the greeting from a freshly opened stream, guarded from its first byte.
    int start(_mailstream* opened);
    // Runs UID SEARCH without a charset and frees key.
    Result<std::vector<uint32_t>> uid_search(struct mailimap_search_key* key);
    struct Free {
        void operator()(mailimap* m) const;
    };
    // --debug; declared first, so that it outlives the session that logs to it.
    std::unique_ptr<ProtocolTrace, ProtocolTraceFree> trace_;
    std::unique_ptr<mailimap, Free> imap_;
    std::string sni_host_;
    int timeout_;
    uint64_t max_message_size_;
    unsigned next_tag_ = 0;
    bool preauth_ = false;
    bool connected_ = false;
};

// Turns a sorted list of UIDs into as few inclusive ranges as possible.
UidRanges compress_uids(const std::vector<uint32_t>& sorted_uids);

// Cuts ranges into consecutive pieces whose sequence-set text ("1:3,5,7:8")
// is at most max_text_bytes long (a single range is never cut): Exchange
// answers a command line over about 10 KB with BAD (docs/office365.md).
std::vector<UidRanges> split_uid_set(const UidRanges& ranges, size_t max_text_bytes);

}  // namespace mailferry::wrap
