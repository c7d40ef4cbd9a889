#include "wrap/imap_appender.hpp"

#include <libetpan/libetpan.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>

#include "core/clock.hpp"
#include "mailferry/flags.hpp"
#include "wrap/imap_reply.hpp"

namespace mailferry::wrap {
namespace {

Error lost(std::string what) {
    Error e = make_error(ErrorKind::temporary, Radius::account, std::move(what));
    e.retry = Retry::later;
    return e;
}

struct MMapFree {
    void operator()(MMAPString* s) const { mmap_string_free(s); }
};

}  // namespace

std::string imap_quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

Result<std::string> imap_date_time(int64_t t) {
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // IMAP's date-time has a four-digit year: a date outside 0001-9999 cannot be sent.
    if (t < kEarliestEpoch || t > kLatestEpoch)
        return make_error(ErrorKind::invalid_data, Radius::message, "a received date outside the years 0001-9999");
    CivilTime c = civil_from_epoch(t);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d +0000", c.day, months[c.month - 1], c.year, c.hour,
                  c.minute, c.second);
    return std::string(buf);
}

namespace {

Error unsendable(std::string what) {
    Error e = make_error(ErrorKind::invalid_data, Radius::message, std::move(what));
    e.retry = Retry::never;
    return e;
}

bool sendable_mailbox(std::string_view name) {
    // Modified UTF-7 is printable ASCII; anything else would break the quoted string.
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u < 0x7f;
    });
}

bool sendable_flag(std::string_view flag) {
    if (!flag.empty() && flag[0] == '\\') {
        Flags probe;
        return probe.add_imap(flag) && !probe.to_imap().empty();  // one of the five system flags
    }
    return is_imap_keyword(flag);
}

}  // namespace

Result<std::string> append_head(std::string_view tag, const AppendCommand& c) {
    if (!sendable_mailbox(c.mailbox)) return unsendable("the target folder's name cannot be sent in an APPEND");
    // flag-list = "(" [flag *(SP flag)] ")": every word between single spaces is
    // checked, the empty ones of a leading, trailing or doubled space too.
    for (size_t i = 0; !c.flags.empty();) {
        size_t j = std::min(c.flags.find(' ', i), c.flags.size());
        if (!sendable_flag(std::string_view(c.flags).substr(i, j - i)))
            return unsendable("a flag that is not an IMAP atom: not sent");
        if (j == c.flags.size()) break;
        i = j + 1;
    }
    auto date = imap_date_time(c.internaldate);
    if (!date) return unsendable(date.error().message);
    return std::string(tag) + " APPEND " + imap_quote(c.mailbox) + " (" + c.flags + ") " + imap_quote(*date) + " ";
}

bool parse_appenduid(std::string_view text, uint32_t& uidvalidity, uint32_t& uid) {
    size_t pos = text.find("[APPENDUID ");
    if (pos == std::string_view::npos) return false;
    std::string_view rest = text.substr(pos + 11);
    auto [p1, e1] = std::from_chars(rest.data(), rest.data() + rest.size(), uidvalidity);
    if (e1 != std::errc() || p1 == rest.data() + rest.size() || *p1 != ' ') return false;
    auto [p2, e2] = std::from_chars(p1 + 1, rest.data() + rest.size(), uid);
    return e2 == std::errc() && p2 != p1 + 1;
}

ImapAppender::ImapAppender(ImapSession& session, bool literal_plus, size_t window_messages, uint64_t window_bytes)
    : session_(session), literal_plus_(literal_plus), window_messages_(window_messages ? window_messages : 1),
      window_bytes_(window_bytes) {}

Status ImapAppender::send_all(std::string_view data) {
    mailstream* s = session_.stream();
    while (!data.empty()) {
        ssize_t n = mailstream_write(s, data.data(), data.size());
        if (n <= 0) return lost("the connection was lost while sending");
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Result<std::string> ImapAppender::read_line() {
    // A failed flush is not the end yet: the server's last words (a throttling
    // reply, BYE) may still be waiting to be read, and they matter more.
    (void)mailstream_flush(session_.stream());
    std::unique_ptr<MMAPString, MMapFree> buf(mmap_string_new(""));
    char* line = mailstream_read_line_remove_eol(session_.stream(), buf.get());
    if (!line) return lost("the connection was lost while waiting for the server");
    return std::string(line);
}

Status ImapAppender::read_one_reply(const ReplyHandler& on_reply) {
    for (;;) {
        auto line = read_line();
        if (!line) return line.error();
        const std::string& l = *line;
        if (l.rfind("* BYE", 0) == 0 || l.rfind("* bye", 0) == 0) {
            bye_ = l.substr(2);
            continue;  // the tagged replies (if any) or the close come next
        }
        // EXISTS, RECENT, a stray continuation: no tagged reply.
        auto tagged = parse_tagged_reply(l);
        if (!tagged) continue;
        auto it = in_flight_.begin();
        while (it != in_flight_.end() && it->tag != tagged->tag) ++it;
        if (it == in_flight_.end()) continue;  // not ours
        AppendReply r;
        r.token = it->token;
        r.status = std::move(tagged->status);
        r.text = std::move(tagged->text);
        if (r.status == "OK") parse_appenduid(r.text, r.uidvalidity, r.uid);
        bytes_in_flight_ -= it->bytes;
        in_flight_.erase(it);
        on_reply(r);  // this message's refusal is recorded with the server's words (Exchange: "BAD ... 11")
        // BAD with LITERAL+: the server may not have parsed our command line and
        // then read the literal that followed as commands of its own. What it
        // says next can no longer be matched to our tags: the connection is
        // dropped, and the ledger looks in the target for the others in flight.
        if (r.status == "BAD" && literal_plus_) return out_of_step("the server answered BAD to an APPEND: " + r.text);
        return {};
    }
}

Status ImapAppender::send_synchronizing(const AppendCommand& c, const std::string& head,
                                        const ReplyHandler& on_reply) {
    MF_TRY(send_all(head + "{" + std::to_string(c.literal.size()) + "}\r\n"));
    for (;;) {
        auto line = read_line();
        if (!line) return line.error();
        if (line->rfind("+", 0) == 0) break;
        // A tagged reply instead of "+": the server refused before the literal.
        // Untagged lines, and lines without a status, say nothing about it.
        auto tagged = parse_tagged_reply(*line);
        if (!tagged || tagged->tag != in_flight_.back().tag) continue;  // not ours
        // A refusal before "+": the literal was never sent, the connection is in step.
        AppendReply r;
        r.token = c.token;
        r.status = std::move(tagged->status);
        r.text = std::move(tagged->text);
        in_flight_.pop_back();
        on_reply(r);
        return {};
    }
    MF_TRY(send_all(c.literal));
    MF_TRY(send_all("\r\n"));
    return read_one_reply(on_reply);
}

Status ImapAppender::out_of_step(std::string why) {
    Error e = lost(std::move(why) + "; the connection is dropped and the target will be checked for what arrived");
    e.kind = ErrorKind::protocol;
    broken_ = e;
    return e;
}

Status ImapAppender::submit(AppendCommand c, const ReplyHandler& on_reply) {
    if (broken_) return *broken_;
    std::string tag = "mf" + std::to_string(next_tag_);
    auto built = append_head(tag, c);
    if (!built) return built.error();
    // After BYE the server closes: what it answered before still counts, nothing new is sent.
    if (!bye_.empty()) return lost("the server said BYE: " + bye_);
    while (!in_flight_.empty() &&
           (in_flight_.size() >= window_messages_ || bytes_in_flight_ + c.literal.size() > window_bytes_)) {
        MF_TRY(read_one_reply(on_reply));
    }
    ++next_tag_;
    const std::string& head = *built;
    in_flight_.push_back({tag, c.token, c.literal.size()});
    bytes_in_flight_ += c.literal.size();
    if (!literal_plus_) return send_synchronizing(c, head, on_reply);
    Status sent = send_all(head + "{" + std::to_string(c.literal.size()) + "+}\r\n");
    if (sent) sent = send_all(c.literal);
    if (sent) sent = send_all("\r\n");
    // Flushed now, not when the window fills: the server works while we prepare the next one.
    if (sent && mailstream_flush(session_.stream()) != 0) sent = lost("the connection was lost while sending");
    if (!sent) salvage_replies(on_reply);
    return sent;
}

// The server may have answered (a throttling reply, a BYE) and closed before
// our write failed: what it said is still in the receive buffer, and it says
// why and for how long to wait. Read it before giving up on the connection.
void ImapAppender::salvage_replies(const ReplyHandler& on_reply) {
    while (!in_flight_.empty() && read_one_reply(on_reply).ok()) {
    }
}

Status ImapAppender::drain(const ReplyHandler& on_reply) {
    if (broken_) return *broken_;
    while (!in_flight_.empty()) MF_TRY(read_one_reply(on_reply));
    return {};
}

std::vector<uint64_t> ImapAppender::outstanding() const {
    std::vector<uint64_t> out;
    for (const auto& f : in_flight_) out.push_back(f.token);
    return out;
}

}  // namespace mailferry::wrap
