// The server lines mailferry parses itself (src/wrap/imap_reply.hpp,
// imap_appender.hpp, pop3_reply.hpp): the input is a transcript, split into
// lines as the stream hands them over ("\n" kept). Every line goes through
// the IMAP parsers; the whole goes through the POP3 multi-line reader as a
// LIST answer up to its "." line, then a UIDL answer. Properties: a tagged
// reply puts its line back together; a SASL challenge text is printable and
// short; dot-unstuffing only removes bytes.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"
#include "wrap/imap_appender.hpp"
#include "wrap/imap_reply.hpp"
#include "wrap/pop3_reply.hpp"

namespace mailferry::fuzz {
namespace {

std::vector<std::string_view> raw_lines(std::string_view s) {
    std::vector<std::string_view> lines;
    while (!s.empty()) {
        size_t eol = s.find('\n');
        size_t n = eol == std::string_view::npos ? s.size() : eol + 1;
        lines.push_back(s.substr(0, n));
        s.remove_prefix(n);
    }
    return lines;
}

void imap_line(std::string_view raw) {
    std::string_view line = raw;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    uint32_t uidvalidity = 0, uid = 0;
    (void)wrap::parse_appenduid(line, uidvalidity, uid);
    if (auto r = wrap::parse_tagged_reply(line)) {
        std::string whole = r->tag + " " + r->status + (r->text.empty() ? "" : " " + r->text);
        MF_FUZZ_CHECK(line.substr(0, whole.size()) == whole);
    }
    std::string challenge = wrap::sasl_challenge_text(line);
    MF_FUZZ_CHECK(challenge.size() <= 200);
    for (char c : challenge) MF_FUZZ_CHECK(c >= 0x20 && c < 0x7F);
}

// Reads one multi-line answer from lines[at...]; false when it is truncated.
template <typename OnLine>
bool pop3_answer(const std::vector<std::string_view>& lines, size_t& at, OnLine on_line) {
    while (at < lines.size()) {
        std::string_view line;
        switch (wrap::multiline_step(lines[at++], line)) {
        case wrap::MultilineStep::end: return true;
        case wrap::MultilineStep::truncated: return false;
        case wrap::MultilineStep::line: break;
        }
        MF_FUZZ_CHECK(line.size() + 1 >= lines[at - 1].size());
        on_line(line);
    }
    return false;
}

}  // namespace

void server_reply_one(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto lines = raw_lines(input);
    for (auto l : lines) imap_line(l);

    size_t at = 0;
    std::vector<wrap::Pop3Listing> listings;
    std::vector<std::pair<uint32_t, std::string>> uidls;
    if (!pop3_answer(lines, at, [&](std::string_view l) {
            if (auto m = wrap::parse_list_line(l)) listings.push_back(*m);
        }))
        return;
    if (!pop3_answer(lines, at, [&](std::string_view l) {
            if (auto u = wrap::parse_uidl_line(l)) uidls.push_back(*u);
        }))
        return;
    wrap::attach_uidls(listings, uidls);
}

}  // namespace mailferry::fuzz
