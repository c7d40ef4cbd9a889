// ImapSession::authenticate: libetpan's own XOAUTH2 call always sends the
// initial response inline and knows no OAUTHBEARER, so this speaks the
// AUTHENTICATE exchange itself over the session's stream (RFC 3501 §6.2.2,
// RFC 4959 for SASL-IR), then tells libetpan the session is authenticated.
#include <libetpan/libetpan.h>

#include <memory>

#include "mailferry/base64.hpp"
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

bool sasl_send_line(mailstream* s, const std::string& line) {
    std::string data = line + "\r\n";
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
        ssize_t n = mailstream_write(s, p, left);
        if (n <= 0) return false;
        p += n;
        left -= size_t(n);
    }
    return mailstream_flush(s) == 0;
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
    const std::string response = base64_encode(initial_response);
    // The token must never reach a protocol trace: libetpan's logger honours privacy.
    mailstream_set_privacy(s, 0);
    bool sent = sasl_send_line(s, std::string(tag) + " AUTHENTICATE " + mechanism + (sasl_ir ? " " + response : ""));
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
                sent = sasl_send_line(s, response);
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
