// ImapSession::authenticate: libetpan's own XOAUTH2 call always sends the
// initial response inline and knows no OAUTHBEARER, so this speaks the
// AUTHENTICATE exchange itself over the session's stream (RFC 3501 §6.2.2,
// RFC 4959 for SASL-IR), then tells libetpan the session is authenticated.
#include <libetpan/libetpan.h>

#include <memory>

#include "core/base64.hpp"
#include "core/secret.hpp"
#include "wrap/imap_reply.hpp"
#include "wrap/imap_session.hpp"

namespace mailferry::wrap {
namespace {

constexpr const char* tag = "mfauth";

struct MMapFree {
    void operator()(MMAPString* s) const { mmap_string_free(s); }
};

Error lost(const std::string& mechanism) {
    Error e = make_error(ErrorKind::temporary, Radius::account,
                         "the connection was lost during AUTHENTICATE " + mechanism);
    e.retry = Retry::later;
    return e;
}

// The line and its CRLF as two writes, not one joined copy: the line may hold
// a token, and a copy here would outlive the wiped original.
bool sasl_send_line(mailstream* s, std::string_view line) {
    for (std::string_view part : {line, std::string_view("\r\n")}) {
        while (!part.empty()) {
            ssize_t n = mailstream_write(s, part.data(), part.size());
            if (n <= 0) return false;
            part.remove_prefix(size_t(n));
        }
    }
    return mailstream_flush(s) == 0;
}

// "<tag> AUTHENTICATE <mechanism>[ <response>]", built in one wiped buffer.
SecretString authenticate_line(std::string_view command_tag, const std::string& mechanism, const SecretString* response) {
    SecretString line;
    line.reserve(command_tag.size() + 15 + mechanism.size() + (response ? response->size() + 1 : 0));
    for (std::string_view piece : {command_tag, std::string_view(" AUTHENTICATE "), std::string_view(mechanism)})
        line.append(piece);
    if (response) {
        line.append(" ");
        line.append(response->reveal());
    }
    return line;
}

std::unique_ptr<std::string> sasl_read_line(mailstream* s) {
    std::unique_ptr<MMAPString, MMapFree> buf(mmap_string_new(""));
    char* line = mailstream_read_line_remove_eol(s, buf.get());
    if (!line) return nullptr;
    return std::make_unique<std::string>(line);
}

}  // namespace

Status ImapSession::authenticate(const std::string& mechanism, std::string_view initial_response, bool sasl_ir,
                                 std::string_view failure_ack) {
    mailstream* s = stream();
    if (!s) return lost(mechanism);
    const SecretString response(base64_encode(initial_response));
    // The token must never reach a protocol trace: libetpan's logger honours privacy.
    mailstream_set_privacy(s, 0);
    bool sent = sasl_send_line(s, authenticate_line(tag, mechanism, sasl_ir ? &response : nullptr).reveal());
    std::string challenge_text;
    bool response_sent = sasl_ir;
    for (;;) {
        if (!sent) {
            mailstream_set_privacy(s, 1);
            return lost(mechanism);
        }
        auto line = sasl_read_line(s);
        if (!line) {
            mailstream_set_privacy(s, 1);
            return lost(mechanism);
        }
        if (line->rfind("+", 0) == 0) {
            if (!response_sent) {
                sent = sasl_send_line(s, response.reveal());
                response_sent = true;
            } else {
                challenge_text = sasl_challenge_text(*line);
                sent = sasl_send_line(s, std::string(failure_ack));
            }
            continue;
        }
        if (line->rfind("* ", 0) == 0) continue;  // CAPABILITY and the like
        if (line->rfind(std::string(tag) + " ", 0) != 0) continue;
        mailstream_set_privacy(s, 1);
        std::string rest = line->substr(std::string(tag).size() + 1);
        if (rest.rfind("OK", 0) == 0 || rest.rfind("ok", 0) == 0) {
            imap_->imap_state = MAILIMAP_STATE_AUTHENTICATED;
            return {};
        }
        Error e = make_error(ErrorKind::auth, Radius::account, "AUTHENTICATE " + mechanism + " refused");
        e.server_text = rest.substr(0, 200);
        if (!challenge_text.empty()) e.server_text += " [" + challenge_text + "]";
        return e;
    }
}

}  // namespace mailferry::wrap
