#include "net/imap/imap_source.hpp"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>

#include "core/ascii.hpp"
#include "core/clock.hpp"
#include "core/mutf7.hpp"
#include "mime/message_date.hpp"

namespace mailferry::net {
namespace {

using ascii::lower;

Error folder_error(Error e, const std::string& folder) {
    if (e.radius == Radius::message) e.radius = Radius::folder;
    e.in("folder " + folder);
    return e;
}

// What one FETCH response said. Numbers are read in 64 bits: a UID or a size
// of 2^32 or more is seen for what it is, never wrapped to a small one.
struct FetchData {
    uint64_t seq = 0;
    std::optional<uint64_t> uid, size;
    std::optional<int64_t> internaldate;
    bool has_flags = false;
    Flags flags;
    bool has_body = false;
    std::string body;
};

std::optional<uint64_t> to_u64(std::string_view digits) {
    if (digits.empty() || digits.size() > 19) return std::nullopt;
    uint64_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

// INTERNALDATE "17-Jul-1996 02:44:25 -0700" (the day may be space-padded).
std::optional<int64_t> parse_internaldate(const std::string& s) {
    static const char* const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
    int day = 0, year = 0, hour = 0, minute = 0, second = 0, zone = 0;
    char mon[4] = {}, sign = 0;
    // Widths on every number: a server's "99999999999" never overflows an int.
    if (std::sscanf(s.c_str(), "%2d-%3c-%4d %2d:%2d:%2d %c%4d", &day, mon, &year, &hour, &minute, &second, &sign,
                    &zone) != 8 || (sign != '+' && sign != '-'))
        return std::nullopt;
    for (int m = 0; m < 12; ++m)
        if (lower(mon) == months[m])
            return epoch_from_fields(year, m + 1, day, hour, minute, second, sign == '-' ? -zone : zone);
    return std::nullopt;
}

// The first bytes of a FETCH line cut off in the middle ("* 2 FETCH (UID 2 FLAGS (..."): its UID.
std::optional<uint64_t> uid_in_head(std::string_view head) {
    size_t at = head.find(" FETCH (");
    size_t uid = at == std::string_view::npos ? at : head.find("UID ", at);
    if (uid == std::string_view::npos) return std::nullopt;
    size_t end = head.find_first_not_of("0123456789", uid + 4);
    return to_u64(head.substr(uid + 4, end == std::string_view::npos ? end : end - uid - 4));
}

// Reads one FETCH response's items, "(UID 7 FLAGS (\Seen) BODY[] {120}...)",
// pulling the line after each literal from the session. A literal is measured
// before it is read: a body over the limit is refused unread.
class ItemReader {
public:
    ItemReader(wrap::ImapSession& s, std::string line, size_t pos) : s_(s), line_(std::move(line)), pos_(pos) {}

    Status read(FetchData& d) {
        for (int items = 0; items < 1000; ++items) {
            skip_spaces();
            if (at_end()) return bad("a FETCH response ends early");
            if (line_[pos_] == ')') return {};
            std::string name = item_name();
            skip_spaces();
            MF_TRY(item(name, d));
        }
        return bad("a FETCH response has too many items");
    }

    // An untagged response that is not ours to read (EXISTS, OK, FLAGS...): a
    // literal it ends with is skipped whole, so that its bytes are never taken for lines.
    Status skip_literals() {
        for (int literals = 0; literals < 1000; ++literals) {
            size_t open = line_.rfind('{');
            if (line_.empty() || line_.back() != '}' || open == std::string::npos) return {};
            pos_ = open;
            MF_TRY(literal(nullptr, s_.max_message_size()));
        }
        return bad("a response has too many literals");
    }

private:
    bool at_end() const { return pos_ >= line_.size(); }
    void skip_spaces() {
        while (!at_end() && line_[pos_] == ' ') ++pos_;
    }
    Error bad(const std::string& what) const { return make_error(ErrorKind::protocol, Radius::account, what); }

    // "UID", "BODY[HEADER.FIELDS (MESSAGE-ID)]", "BODY[]<0>": brackets may hold spaces.
    std::string item_name() {
        size_t start = pos_;
        while (!at_end() && line_[pos_] != ' ' && line_[pos_] != '(' && line_[pos_] != ')') {
            if (line_[pos_++] != '[') continue;
            size_t close = line_.find(']', pos_);
            pos_ = close == std::string::npos ? line_.size() : close + 1;
        }
        std::string name = line_.substr(start, pos_ - start);
        for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return name;
    }

    Status item(const std::string& name, FetchData& d) {
        if (name == "UID" || name == "RFC822.SIZE") {
            auto n = to_u64(atom());
            if (!n) return bad("a FETCH response has an unreadable " + name);
            (name == "UID" ? d.uid : d.size) = n;
            return {};
        }
        if (name == "FLAGS") return flags(d);
        if (name == "INTERNALDATE") {
            std::string text;
            MF_TRY(string_value(&text, 64));
            d.internaldate = parse_internaldate(text);
            return {};
        }
        if (name == "BODY[]" && !d.has_body) {
            d.has_body = true;
            return string_value(&d.body, s_.max_message_size());
        }
        return skip_value();
    }

    std::string atom() {
        size_t start = pos_;
        while (!at_end() && std::strchr(" ()[]{\"", line_[pos_]) == nullptr) ++pos_;
        return line_.substr(start, pos_ - start);
    }

    Status flags(FetchData& d) {
        if (at_end() || line_[pos_] != '(') return bad("unreadable FLAGS");
        ++pos_;
        d.has_flags = true;
        for (;;) {
            skip_spaces();
            if (at_end()) return bad("unreadable FLAGS");
            if (line_[pos_] == ')') break;
            std::string flag = atom();
            if (flag.empty()) flag = std::string(1, line_[pos_++]);  // "\*" and stray bytes
            (void)d.flags.add_imap(flag);  // a keyword that is no IMAP atom is left out
        }
        ++pos_;
        return {};
    }

    // NIL, "quoted" or {literal}; out nullptr: read and dropped. limit 0: none
    // (the guard still bounds what it can be).
    Status string_value(std::string* out, uint64_t limit) {
        if (at_end()) return bad("a FETCH item has no value");
        if (line_[pos_] == '"') return quoted(out);
        if (line_[pos_] == '{' || (line_[pos_] == '~' && pos_ + 1 < line_.size() && line_[pos_ + 1] == '{'))
            return literal(out, limit);
        atom();  // NIL
        return {};
    }

    Status quoted(std::string* out) {
        for (++pos_; !at_end(); ++pos_) {
            char c = line_[pos_];
            if (c == '"') {
                ++pos_;
                return {};
            }
            if (c == '\\' && pos_ + 1 < line_.size()) c = line_[++pos_];
            if (out) out->push_back(c);
        }
        return bad("a quoted string does not end");
    }

    Status literal(std::string* out, uint64_t limit) {
        if (line_[pos_] == '~') ++pos_;
        size_t close = line_.find('}', pos_);
        // "{12}", or "{12+}" from a server that copies client syntax.
        std::string digits = close == std::string::npos ? "" : line_.substr(pos_ + 1, close - pos_ - 1);
        if (!digits.empty() && digits.back() == '+') digits.pop_back();
        auto n = to_u64(digits);
        if (!n || close + 1 != line_.size()) return bad("unreadable literal in a FETCH response");
        if (limit && *n > limit && limit == s_.max_message_size()) {
            return make_error(ErrorKind::too_big, Radius::message,
                              "the server announced " + std::to_string(*n) + " bytes, over the limit of " +
                                  std::to_string(limit >> 20) + " MB (--max-message-size): not fetched");
        }
        if (limit && *n > limit)
            return bad("a FETCH item announced as " + std::to_string(*n) + " bytes (" + std::to_string(limit) +
                       " at most)");
        MF_TRY(s_.read_literal(*n, out));
        auto next = s_.read_line();
        if (!next) return next.error();
        line_ = std::move(*next);
        pos_ = 0;
        return {};
    }

    // Any other item's value: an atom, a string, or lists of them, nested.
    Status skip_value() {
        int depth = 0;
        do {
            skip_spaces();
            if (at_end()) return bad("a FETCH item does not end");
            char c = line_[pos_];
            if (c == '(' || c == ')') {
                depth += c == '(' ? 1 : -1;
                ++pos_;
            } else if (c == '"' || c == '{' || c == '~') {
                MF_TRY(string_value(nullptr, 0));
            } else if (atom().empty()) {
                ++pos_;  // a stray '[' or ']'
            }
        } while (depth > 0 && depth < 64);
        return depth == 0 ? Status{} : bad("a FETCH item nests too deep");
    }

    wrap::ImapSession& s_;
    std::string line_;
    size_t pos_;
};

std::string uid_set(const wrap::UidRanges& ranges) {
    std::string out;
    for (const auto& [first, last] : ranges) {
        if (!out.empty()) out += ',';
        out += std::to_string(first);
        if (last == 0) out += ":*";
        else if (last != first) out += ":" + std::to_string(last);
    }
    return out;
}

// One UID FETCH, read by ItemReader: each untagged FETCH response is handed
// over as it completes, each under the guard's whole-message deadline.
class FetchCommand {
public:
    FetchCommand(wrap::ImapSession& s, const std::map<uint64_t, uint32_t>& seq_to_uid)
        : s_(s), seq_to_uid_(seq_to_uid) {}

    // modifier: "" or " (CHANGEDSINCE n)".
    Status run(const std::string& set, const std::string& items, const std::string& modifier,
               const std::function<Status(FetchData&)>& on_response) {
        const std::string tag = s_.next_tag();
        MF_TRY(s_.send_line(tag + " UID FETCH " + set + " (" + items + ")" + modifier));
        Status done = read_until(tag, on_response);
        s_.end_message_responses();
        return done;
    }

private:
    Status read_until(const std::string& tag, const std::function<Status(FetchData&)>& on_response) {
        for (;;) {
            s_.begin_message_response();
            std::string head;
            auto line = s_.read_line(&head);
            if (!line) {
                uint64_t seq = 0;
                (void)std::sscanf(head.c_str(), "* %20" SCNu64 " FETCH", &seq);
                return failed(line.error(), seq, uid_in_head(head));
            }
            if (line->rfind(tag + " ", 0) == 0) return tagged(line->substr(tag.size() + 1));
            MF_TRY(untagged(*line, on_response));
        }
    }

    Status untagged(const std::string& line, const std::function<Status(FetchData&)>& on_response) {
        if (line.rfind("* BYE", 0) == 0) {
            Error e = make_error(ErrorKind::temporary, Radius::account, "the server ended the connection");
            e.server_text = line.substr(0, 300);
            e.retry = Retry::later;
            return failed(e, 0, std::nullopt);
        }
        FetchData d;
        int used = 0;
        if (std::sscanf(line.c_str(), "* %20" SCNu64 " FETCH (%n", &d.seq, &used) == 1 && used > 0) {
            ItemReader items(s_, line, static_cast<size_t>(used));
            if (auto r = items.read(d); !r) return failed(r.error(), d.seq, d.uid);
            if (auto r = on_response(d); !r) return failed(r.error(), 0, std::nullopt);
            return {};
        }
        ItemReader other(s_, line, 0);
        if (auto r = other.skip_literals(); !r) return failed(r.error(), 0, std::nullopt);
        return {};
    }

    Status tagged(const std::string& rest) {
        if (rest.rfind("OK", 0) == 0) return {};
        Error e = make_error(ErrorKind::protocol, Radius::folder, "UID FETCH refused");
        e.server_text = rest.substr(0, 300);
        return e;
    }

    // The reply was left half read: the connection goes. A response cut off by
    // the guard, or a body refused for its size, is the message's fault (the
    // run goes on without it); a connection lost in the middle stays the
    // connection's (the pipeline decides). The message is named "UID n" (fetch.hpp).
    Error failed(Error e, uint64_t seq, std::optional<uint64_t> uid) {
        if (seq && (e.kind == ErrorKind::too_big || s_.stopped_by_limit())) e.radius = Radius::message;
        s_.abandon();
        if (!uid && seq_to_uid_.count(seq)) uid = seq_to_uid_.at(seq);
        if (uid) e.in("UID " + std::to_string(*uid));
        else if (seq) e.in("message " + std::to_string(seq));
        return e;
    }

    wrap::ImapSession& s_;
    const std::map<uint64_t, uint32_t>& seq_to_uid_;
};

bool is_uid(const std::optional<uint64_t>& uid) { return uid && *uid != 0 && *uid <= UINT32_MAX; }

Status deliver(FetchData& d, const MessageSink& sink) {
    FetchedMessage m;
    m.uid = static_cast<uint32_t>(*d.uid);
    m.flags = d.flags;
    m.bytes = d.body;
    if (d.internaldate) {
        m.received = *d.internaldate;
    } else {
        // No INTERNALDATE, or one out of range: the message's own dates.
        mime::ReceivedDate date = mime::received_date(d.body, now_epoch());
        m.received = date.when;
        m.received_from = date.from;
    }
    return sink(m);
}

}  // namespace

std::string special_use_role(const std::vector<std::string>& attributes) {
    // RFC 6154 names, plus Gmail's XLIST spellings.
    static const std::pair<const char*, const char*> table[] = {
        {"\\all", "\\All"},         {"\\allmail", "\\All"},   {"\\archive", "\\Archive"},
        {"\\drafts", "\\Drafts"},   {"\\flagged", "\\Flagged"}, {"\\starred", "\\Flagged"},
        {"\\junk", "\\Junk"},       {"\\spam", "\\Junk"},     {"\\sent", "\\Sent"},
        {"\\trash", "\\Trash"},     {"\\inbox", "\\Inbox"},
    };
    for (const auto& a : attributes) {
        std::string l = lower(a);
        for (const auto& [from, to] : table)
            if (l == from) return to;
    }
    return "";
}

Result<std::vector<SourceFolder>> ImapSource::list_folders() {
    bool xlist = connection_->has_capability("XLIST") && !connection_->has_capability("SPECIAL-USE");
    auto entries = connection_->session().list("*", xlist);
    if (!entries) return entries.error();
    std::vector<SourceFolder> out;
    for (auto& e : *entries) {
        SourceFolder f;
        f.raw_name = e.raw_name;
        f.delimiter = e.delimiter;
        auto decoded = mutf7_decode(e.raw_name);
        f.name = decoded ? *decoded : e.raw_name;
        f.role = special_use_role(e.attributes);
        for (const auto& a : e.attributes) {
            std::string l = lower(a);
            if (l == "\\noselect" || l == "\\nonexistent") f.selectable = false;
        }
        // XLIST names INBOX in the user's language; IMAP calls it INBOX.
        if (f.role == "\\Inbox") {
            f.raw_name = f.name = "INBOX";
            f.role.clear();
        }
        out.push_back(std::move(f));
    }
    std::sort(out.begin(), out.end(),
              [](const SourceFolder& a, const SourceFolder& b) { return a.raw_name < b.raw_name; });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const SourceFolder& a, const SourceFolder& b) { return a.raw_name == b.raw_name; }),
              out.end());
    return out;
}

Result<FolderStatus> ImapSource::open_folder(const SourceFolder& folder) {
    auto info = connection_->session().examine(folder.raw_name, connection_->has_capability("CONDSTORE"));
    if (!info) return folder_error(info.error(), folder.name);
    open_folder_ = folder.name;
    seq_to_uid_.clear();
    return FolderStatus{info->uidvalidity, info->uidnext, info->exists, info->highest_modseq};
}

Result<std::optional<FolderStatus>> ImapSource::peek_status(const SourceFolder& folder) {
    auto info = connection_->session().status(folder.raw_name, connection_->has_capability("CONDSTORE"));
    if (!info) return folder_error(info.error(), folder.name);
    return std::optional<FolderStatus>(FolderStatus{info->uidvalidity, info->uidnext, info->exists, info->highest_modseq});
}

Result<std::vector<MessageRef>> ImapSource::list_messages(uint32_t first_uid) {
    std::vector<MessageRef> refs;
    FetchCommand fetch(connection_->session(), seq_to_uid_);
    Status s = fetch.run(std::to_string(std::max<uint32_t>(first_uid, 1)) + ":*", "UID RFC822.SIZE", "",
                         [&](FetchData& d) -> Status {
                             // "n:*" also matches the highest UID when it is below n (RFC 3501 §6.4.8).
                             if (!is_uid(d.uid) || *d.uid < first_uid) return {};
                             refs.push_back({static_cast<uint32_t>(*d.uid), d.size.value_or(0)});
                             seq_to_uid_[d.seq] = static_cast<uint32_t>(*d.uid);
                             return {};
                         });
    if (!s) return folder_error(s.error(), open_folder_);
    std::sort(refs.begin(), refs.end(), [](const MessageRef& a, const MessageRef& b) { return a.uid < b.uid; });
    refs.erase(std::unique(refs.begin(), refs.end(),
                           [](const MessageRef& a, const MessageRef& b) { return a.uid == b.uid; }),
               refs.end());
    return refs;
}

Status ImapSource::fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) {
    if (uids.empty()) return {};
    std::vector<uint32_t> asked(uids);
    std::sort(asked.begin(), asked.end());
    FetchCommand fetch(connection_->session(), seq_to_uid_);
    Status s = fetch.run(uid_set(wrap::compress_uids(asked)), "UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[]", "",
                         [&](FetchData& d) -> Status {
                             // Only what was asked for: a server may add FETCH responses of its own
                             // (RFC 3501 §7.4.2), and a message stored under a UID that was never
                             // listed would upset the fetch's count of what is cached.
                             if (!is_uid(d.uid) || !d.has_body ||
                                 !std::binary_search(asked.begin(), asked.end(), static_cast<uint32_t>(*d.uid)))
                                 return {};
                             return deliver(d, sink);
                         });
    if (!s && s.error().radius != Radius::message && s.error().kind != ErrorKind::io &&
        s.error().context.find("UID ") == std::string::npos)
        return folder_error(s.error(), open_folder_);
    return s;
}

Status ImapSource::fetch_flags(uint32_t last_uid, const FlagsSink& sink) {
    return fetch_flag_changes(last_uid, 0, sink);
}

// With a modseq: UID FETCH 1:n (UID FLAGS) (CHANGEDSINCE m), RFC 7162 §3.1.4.
// Each response then carries a MODSEQ item too, which the reader skips.
Status ImapSource::fetch_flag_changes(uint32_t last_uid, uint64_t since_modseq, const FlagsSink& sink) {
    if (last_uid == 0) return {};
    FetchCommand fetch(connection_->session(), seq_to_uid_);
    const std::string modifier = since_modseq > 0 ? " (CHANGEDSINCE " + std::to_string(since_modseq) + ")" : "";
    Status s = fetch.run("1:" + std::to_string(last_uid), "UID FLAGS", modifier, [&](FetchData& d) -> Status {
        if (is_uid(d.uid) && *d.uid <= last_uid && d.has_flags) sink(static_cast<uint32_t>(*d.uid), d.flags);
        return {};
    });
    if (!s) return folder_error(s.error(), open_folder_);
    return {};
}

}  // namespace mailferry::net
