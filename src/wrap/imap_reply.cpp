#include "wrap/imap_reply.hpp"

#include "core/base64.hpp"

namespace mailferry::wrap {

std::optional<TaggedReply> parse_tagged_reply(std::string_view line) {
    if (line.rfind("* ", 0) == 0 || line.rfind("+", 0) == 0) return std::nullopt;
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    TaggedReply r;
    r.tag = std::string(line.substr(0, sp));
    size_t sp2 = line.find(' ', sp + 1);
    r.status = std::string(line.substr(sp + 1, sp2 == std::string_view::npos ? std::string_view::npos : sp2 - sp - 1));
    r.text = sp2 == std::string_view::npos ? "" : std::string(line.substr(sp2 + 1));
    return r;
}

std::string sasl_challenge_text(std::string_view line) {
    std::string_view b64 = line.size() > 2 ? line.substr(2) : "";
    auto text = base64_decode(b64);
    std::string out;
    // Printable only: the text ends up in an error message on a terminal.
    for (char c : text ? std::string_view(*text) : b64)
        if (c >= 0x20 && c < 0x7f) out += c;
    return out.substr(0, 200);
}

}  // namespace mailferry::wrap
