#include "imap_filter.hpp"

#include <algorithm>

namespace mailferry::test::fault_proxy {
namespace {

// Dovecot offers COMPRESS=DEFLATE after login; once a client turns it on,
// commands can no longer be read, so while rules are configured the proxy
// declines it, which RFC 4978 allows and clients must accept.
const Rule kRefuseCompress{"COMPRESS", 1, "NO [CANNOT] COMPRESS refused by fault_proxy (rules need to read commands)",
                           "", false, false, "(built-in)"};

// A token from the peer, made safe for the log.
std::string safe_token(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 64)) out += (c > 0x20 && c < 0x7f && c != '"') ? c : '?';
    return out;
}

}  // namespace

ImapFilter::ImapFilter(RuleSet& rules, const EventLog& log, int conn, bool close_after_greeting)
    : rules_(rules),
      log_(log),
      conn_(conn),
      close_after_greeting_(close_after_greeting),
      discard_client_(close_after_greeting) {}  // nothing reaches the server on such a connection

void ImapFilter::from_client(std::string_view data, Out& out, std::uint64_t up_budget) {
    up_budget_ = up_budget;
    if (discard_client_) return;
    if (passthrough_) {
        out.up.append(data);
        return;
    }
    held_.append(data);
    process_client(out);
}

void ImapFilter::process_client(Out& out) {
    while (held_off_ < held_.size() && await_ == Await::none && !discard_client_ && !passthrough_) {
        std::string_view rest(held_);
        rest.remove_prefix(held_off_);
        if (client_framer_.at_message_start() && !cur_.decided) {
            if (out.up.size() >= up_budget_) break;  // the connection is cut or stalled there
            // Decide forward/swallow before a byte of the command goes anywhere:
            // needs its first line, or kHeadSize bytes of it.
            std::size_t lf = rest.substr(0, ImapFramer::kHeadSize).find('\n');
            if (lf == std::string_view::npos && rest.size() < ImapFramer::kHeadSize) break;
            decide(rest.substr(0, lf == std::string_view::npos ? ImapFramer::kHeadSize : lf));
        }
        ImapFramer::Event ev;
        std::size_t n = client_framer_.feed(rest, ev);
        if (!cur_.swallow) out.up.append(rest.substr(0, n));
        held_off_ += n;
        if (ev.literal)
            on_client_literal(*ev.literal);
        else if (ev.message_end)
            end_client_message();
    }
    if (held_off_ == held_.size() || discard_client_) {
        held_.clear();
        held_off_ = 0;
    } else if (held_off_ > 65536) {
        held_.erase(0, held_off_);
        held_off_ = 0;
    }
    flush_injections(out, false);
}

void ImapFilter::decide(std::string_view head) {
    cur_.decided = true;
    if (sasl_challenges_ > 0) {  // a SASL response (credentials): never parsed or logged
        --sasl_challenges_;
        return;
    }
    MessageHead h = parse_head(head);
    if (h.tag.empty() || h.name.empty()) return;  // "DONE" ending IDLE, "*" cancelling AUTHENTICATE
    cur_.command = true;
    cur_.tag = h.tag;
    cur_.name = h.name;
    cur_.seq = ++seq_;
    // Only tag and name: arguments (LOGIN password, mailbox names) never reach the log.
    log_.write(conn_, "cmd", "tag=" + safe_token(h.tag) + " command=" + EventLog::quote(safe_token(h.name)));
    std::optional<RuleSet::Hit> hit = rules_.match(h.name);
    if (!hit && h.name == "COMPRESS" && !rules_.empty()) hit = RuleSet::Hit{&kRefuseCompress, 0, 0};
    if (hit) {
        cur_.swallow = true;
        cur_.hit = *hit;
        return;
    }
    outstanding_.push_back({cur_.seq, cur_.tag});
}

void ImapFilter::on_client_literal(const ImapFramer::Literal& lit) {
    if (!lit.sync) {  // LITERAL+: the data follows at once
        client_framer_.accept_literal();
        return;
    }
    if (cur_.swallow) {
        if (cur_.hit.rule->early) {  // answer now, as a server refusing an oversized APPEND does
            client_framer_.reject_literal();
            end_client_message();
            return;
        }
        inject("+ Ready for literal data\r\n", false, "continue", "tag=" + safe_token(cur_.tag));
        client_framer_.accept_literal();
        return;
    }
    // Forwarded: the literal comes only if the server says "+"; a tagged reply
    // instead (e.g. Dovecot's "NO [TRYCREATE]") means it never will.
    await_ = Await::literal;
    await_tag_ = cur_.tag;
}

void ImapFilter::end_client_message() {
    if (cur_.swallow) {
        const Rule& rule = *cur_.hit.rule;
        std::string bytes = cur_.tag + " " + rule.reply + "\r\n";
        if (!rule.bye.empty()) bytes += rule.bye + "\r\n";
        std::string tag = safe_token(cur_.tag);
        log_.write(conn_, "swallow",
                   "rule=" + std::to_string(cur_.hit.index) + " count=" + std::to_string(cur_.hit.count) +
                       " tag=" + tag + " command=" + EventLog::quote(cur_.name));
        std::string fields = "rule=" + std::to_string(cur_.hit.index) + " tag=" + tag +
                             " reply=" + EventLog::quote(rule.reply);
        if (!rule.bye.empty()) fields += " bye=" + EventLog::quote(rule.bye);
        if (rule.close) fields += " close=1";
        inject(std::move(bytes), rule.close, "inject", std::move(fields));
        // Exchange drops whatever the client pipelined after the command it closes on.
        if (rule.close) discard_client_ = true;
    } else if (cur_.command) {
        if (cur_.name == "AUTHENTICATE") {
            sasl_tag_ = cur_.tag;
            sasl_challenges_ = 0;
        } else if (cur_.name == "STARTTLS" || cur_.name == "COMPRESS") {
            await_ = Await::passthrough;  // hold the client until the server answers
            await_tag_ = cur_.tag;
        }
    }
    cur_ = Current{};
}

void ImapFilter::from_server(std::string_view data, Out& out, std::uint64_t up_budget) {
    up_budget_ = up_budget;
    if (discard_server_) return;
    if (passthrough_) {
        out.down.append(data);
        return;
    }
    std::size_t i = 0;
    while (i < data.size()) {
        ImapFramer::Event ev;
        std::size_t n = server_framer_.feed(data.substr(i), ev);
        emit_server(data.substr(i, n), ev.line_end, out);
        i += n;
        if (ev.literal) {
            server_framer_.accept_literal();
        } else if (ev.message_end) {
            on_server_message(out);
            if (discard_server_) return;
            if (passthrough_) {
                emit_server(data.substr(i), true, out);
                return;
            }
        }
    }
}

void ImapFilter::emit_server(std::string_view bytes, bool line_end, Out& out) {
    if (strip_.empty()) {
        out.down.append(bytes);
        return;
    }
    server_line_.append(bytes);
    if (!line_end) return;
    std::size_t first_line_end = server_line_.find('\n');
    std::string line = server_line_.substr(0, first_line_end);
    if (line.find("CAPABILITY") != std::string::npos) {
        for (const auto& word : strip_) {
            for (std::size_t at = line.find(" " + word); at != std::string::npos; at = line.find(" " + word, at)) {
                std::size_t after = at + 1 + word.size();
                if (after < line.size() && line[after] != ' ' && line[after] != ']' && line[after] != '\r') {
                    at = after;
                    continue;
                }
                line.erase(at, 1 + word.size());
                log_.write(conn_, "fault", "kind=strip-capability word=" + word);
            }
        }
        server_line_.replace(0, first_line_end, line);
    }
    out.down.append(server_line_);
    server_line_.clear();
}

void ImapFilter::on_server_message(Out& out) {
    // Dovecot's imap-login sends "* OK Waiting for authentication process to
    // respond.." ahead of its greeting while the auth process is still starting.
    if (close_after_greeting_ && server_messages_ == 0 &&
        server_framer_.head().starts_with("* OK Waiting for authentication"))
        return;
    if (close_after_greeting_ && ++server_messages_ == 1) {
        log_.write(conn_, "fault", "kind=close-after-greeting");
        close_requested_ = discard_server_ = discard_client_ = true;
        return;
    }
    MessageHead h = parse_head(server_framer_.head());
    if (h.tag == "+") {
        // The client waits for this "+" before it sends its answer, so the answer
        // is framed only after this point: counting here is race-free.
        if (!sasl_tag_.empty() && await_ == Await::none) ++sasl_challenges_;
        if (await_ == Await::literal) {
            await_ = Await::none;
            client_framer_.accept_literal();
            process_client(out);
        }
    } else if (!h.tag.empty() && h.tag != "*") {
        auto it = std::find_if(outstanding_.begin(), outstanding_.end(),
                               [&](const Pending& p) { return p.tag == h.tag; });
        if (it != outstanding_.end()) outstanding_.erase(it);
        if (h.tag == sasl_tag_) {
            sasl_tag_.clear();
            sasl_challenges_ = 0;
        }
        if (await_ != Await::none && h.tag == await_tag_) {
            Await was = await_;
            await_ = Await::none;
            if (was == Await::literal) {
                client_framer_.reject_literal();
                cur_ = Current{};
            } else if (h.name == "OK") {
                start_passthrough(out);
                return;
            }
            process_client(out);
        }
    }
    flush_injections(out, false);
}

void ImapFilter::start_passthrough(Out& out) {
    log_.write(conn_, "passthrough", "after-tag=" + safe_token(await_tag_));
    flush_injections(out, true);
    passthrough_ = true;
    if (!discard_client_) out.up.append(held_, held_off_, std::string::npos);
    held_.clear();
    held_off_ = 0;
}

void ImapFilter::server_closed(Out& out) { flush_injections(out, true); }

void ImapFilter::tick(Clock::time_point, Out& out) { flush_injections(out, false); }

void ImapFilter::inject(std::string bytes, bool close, std::string event, std::string fields) {
    injections_.push_back({cur_.seq, std::move(bytes), close, Clock::now() + kInjectTimeout, std::move(event),
                           std::move(fields)});
}

bool ImapFilter::answered_before(std::uint64_t seq) const {
    return outstanding_.empty() || outstanding_.front().seq > seq;
}

void ImapFilter::flush_injections(Out& out, bool force) {
    auto now = Clock::now();
    while (!injections_.empty()) {
        Injection& inj = injections_.front();
        bool answered = answered_before(inj.seq);
        // Only between two server responses, never inside one (a FETCH literal...).
        if (!force && (!server_framer_.at_message_start() || (!answered && now < inj.deadline))) return;
        out.down += inj.bytes;
        log_.write(conn_, inj.log_event, inj.log_fields + (answered ? "" : " waited=timeout"));
        bool close = inj.close;
        injections_.pop_front();
        if (close) {
            close_requested_ = discard_server_ = discard_client_ = true;
            injections_.clear();
            held_.clear();
            held_off_ = 0;
            return;
        }
    }
}

}  // namespace mailferry::test::fault_proxy
