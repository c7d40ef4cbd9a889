#include "options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace mailferry::test::fault_proxy {
namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool starts_with_field(std::string_view s) {
    for (std::string_view key : {"every=", "reply=", "bye=", "close", "early"}) {
        if (s.substr(0, key.size()) != key) continue;
        // "close"/"early" are flags: the whole field, not a prefix of a longer word
        if (key.back() != '=' && s.size() != key.size()) continue;
        return true;
    }
    return false;
}

std::uint64_t parse_u64(std::string_view text, std::string_view what) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw std::invalid_argument(std::string(what) + ": not a number: '" + std::string(text) + "'");
    return v;
}

int parse_port(std::string_view text, std::string_view what, bool zero_ok) {
    std::uint64_t v = parse_u64(text, what);
    if (v > 65535 || (v == 0 && !zero_ok))
        throw std::invalid_argument(std::string(what) + ": not a port: '" + std::string(text) + "'");
    return static_cast<int>(v);
}

bool has_control_chars(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

}  // namespace

Rule parse_rule(std::string_view spec) {
    // Split at ':' and glue back the pieces that do not start a field, so that
    // "reply=BAD Request is throttled. Suggested Backoff Time: 2000 milliseconds" survives.
    std::vector<std::string> fields;
    std::size_t start = 0;
    while (true) {
        std::size_t colon = spec.find(':', start);
        std::string_view piece = spec.substr(start, colon == std::string_view::npos ? colon : colon - start);
        if (fields.size() >= 2 && !starts_with_field(piece))
            fields.back() += ":" + std::string(piece);
        else
            fields.emplace_back(piece);
        if (colon == std::string_view::npos) break;
        start = colon + 1;
    }
    Rule rule;
    rule.spec = std::string(spec);
    rule.command = upper(fields.front());
    if (rule.command.empty()) throw std::invalid_argument("--rule '" + rule.spec + "': no command");
    bool have_reply = false;
    for (std::size_t i = 1; i < fields.size(); ++i) {
        std::string_view f = fields[i];
        if (f.starts_with("every=")) {
            rule.every = parse_u64(f.substr(6), "--rule every");
            if (rule.every == 0) throw std::invalid_argument("--rule '" + rule.spec + "': every=0");
        } else if (f.starts_with("reply=")) {
            rule.reply = std::string(f.substr(6));
            have_reply = true;
        } else if (f.starts_with("bye=")) {
            rule.bye = std::string(f.substr(4));
            if (!rule.bye.starts_with("* ")) rule.bye = "* " + rule.bye;
            rule.close = true;
        } else if (f == "close") {
            rule.close = true;
        } else if (f == "early") {
            rule.early = true;
        } else {
            throw std::invalid_argument("--rule '" + rule.spec + "': unknown field '" + std::string(f) + "'");
        }
    }
    if (!have_reply || rule.reply.empty())
        throw std::invalid_argument("--rule '" + rule.spec + "': reply=TEXT is required");
    if (has_control_chars(rule.reply) || has_control_chars(rule.bye))
        throw std::invalid_argument("--rule '" + rule.spec + "': CR, LF or NUL in a reply");
    return rule;
}

const char* usage_text() {
    return "usage: fault_proxy --upstream-port P (--cert FILE --key FILE | --plain) [options]\n"
           "  --listen-port N          port on 127.0.0.1 (default 0: a free one)\n"
           "  --port-file FILE         write the listening port there (atomically)\n"
           "  --log FILE               event log, one line per event, CLOCK_MONOTONIC ms\n"
           "  --max-seconds S          exit after S seconds (default 600)\n"
           "  --max-connections N      refuse connections beyond N at once (default 64)\n"
           "  --latency-ms N           delay every chunk by N ms in each direction\n"
           "  --drop-after-bytes N     close a connection once N bytes went client->server\n"
           "  --drop-jitter P          vary that N by up to +-P percent per connection\n"
           "  --seed S                 seed for --drop-jitter\n"
           "  --stall-after-bytes N    go silent (sockets open) after N bytes client->server\n"
           "  --close-after-greeting   relay the server greeting, then close\n"
           "  --strip-capability WORD  remove WORD from every capability list the server sends (repeatable)\n"
           "  --rule SPEC              COMMAND:every=K:reply=TEXT[:bye=TEXT][:close][:early]\n"
           "  --plain                  plain TCP on both sides (upstream: a plain IMAP port)\n";
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string value;
        bool inline_value = false;
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            value = std::string(arg.substr(eq + 1));
            arg = arg.substr(0, eq);
            inline_value = true;
        }
        auto need = [&]() -> const std::string& {
            if (!inline_value) {
                if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + " needs a value");
                value = argv[++i];
            }
            return value;
        };
        auto flag = [&] {
            if (inline_value) throw std::invalid_argument(std::string(arg) + " takes no value");
            return true;
        };
        if (arg == "--help" || arg == "-h") throw HelpRequested{};
        else if (arg == "--upstream-port") o.upstream_port = parse_port(need(), arg, false);
        else if (arg == "--cert") o.cert_file = need();
        else if (arg == "--key") o.key_file = need();
        else if (arg == "--plain") o.plain = flag();
        else if (arg == "--listen-port") o.listen_port = parse_port(need(), arg, true);
        else if (arg == "--port-file") o.port_file = need();
        else if (arg == "--log") o.log_file = need();
        else if (arg == "--max-seconds") o.max_seconds = static_cast<int>(std::min<std::uint64_t>(parse_u64(need(), arg), 86400));
        else if (arg == "--max-connections") o.max_connections = static_cast<int>(std::clamp<std::uint64_t>(parse_u64(need(), arg), 1, 1024));
        else if (arg == "--latency-ms") o.latency_ms = static_cast<int>(std::min<std::uint64_t>(parse_u64(need(), arg), 60000));
        else if (arg == "--drop-after-bytes") o.drop_after_bytes = parse_u64(need(), arg);
        else if (arg == "--drop-jitter") o.drop_jitter_percent = static_cast<double>(std::min<std::uint64_t>(parse_u64(need(), arg), 100));
        else if (arg == "--seed") o.seed = parse_u64(need(), arg);
        else if (arg == "--stall-after-bytes") o.stall_after_bytes = parse_u64(need(), arg);
        else if (arg == "--close-after-greeting") o.close_after_greeting = flag();
        else if (arg == "--strip-capability") o.strip_capabilities.push_back(need());
        else if (arg == "--rule") o.rules.push_back(parse_rule(need()));
        else throw std::invalid_argument("unknown option '" + std::string(arg) + "'");
    }
    if (o.upstream_port == 0) throw std::invalid_argument("--upstream-port is required");
    if (!o.plain && (o.cert_file.empty() || o.key_file.empty()))
        throw std::invalid_argument("--cert and --key are required (or --plain)");
    if (o.max_seconds == 0) throw std::invalid_argument("--max-seconds must be at least 1");
    return o;
}

RuleSet::RuleSet(std::vector<Rule> rules) : rules_(std::move(rules)), seen_(rules_.size(), 0) {}

std::optional<RuleSet::Hit> RuleSet::match(std::string_view command_upper) {
    std::lock_guard lock(mutex_);
    std::optional<Hit> hit;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        if (rules_[i].command != command_upper) continue;
        std::uint64_t n = ++seen_[i];
        if (!hit && n % rules_[i].every == 0) hit = Hit{&rules_[i], i + 1, n};
    }
    return hit;
}

}  // namespace mailferry::test::fault_proxy
