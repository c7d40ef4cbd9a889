// Command line of fault_proxy (see tests/harness/fault_proxy.md) and the
// command rules it applies.  Parsing throws std::invalid_argument with a
// message fit for the user; nothing here touches sockets.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailferry::test::fault_proxy {

// One --rule: every `every`-th client command named `command` (counted over
// all connections) is swallowed and answered with "TAG reply".
struct Rule {
    std::string command;  // upper case; "UID FETCH" for UID commands
    std::uint64_t every = 1;
    std::string reply;  // after the tag, e.g. "NO Server Unavailable. 15"
    std::string bye;    // untagged line sent after the reply ("* ..."), empty = none
    bool close = false;  // close the connection after the reply (implied by bye)
    bool early = false;  // answer at the first synchronizing literal, without "+"
    std::string spec;    // as given, for the log
};

// Parses COMMAND:every=K:reply=TEXT[:bye=TEXT][:close][:early].  TEXT may
// contain ':'; a ':' only starts a new field when followed by "every=",
// "reply=", "bye=", "close" or "early".
Rule parse_rule(std::string_view spec);

struct Options {
    int upstream_port = 0;  // on 127.0.0.1
    std::string cert_file;
    std::string key_file;
    bool plain = false;  // plain TCP on both sides instead of TLS
    int listen_port = 0;  // 0: any free port
    std::string port_file;
    std::string log_file;
    int max_seconds = 600;
    int max_connections = 64;
    int latency_ms = 0;
    std::optional<std::uint64_t> drop_after_bytes;
    double drop_jitter_percent = 0;
    std::optional<std::uint64_t> stall_after_bytes;
    bool close_after_greeting = false;
    std::vector<std::string> strip_capabilities;
    std::optional<std::uint64_t> seed;  // for --drop-jitter
    std::vector<Rule> rules;
};

// Throws std::invalid_argument on a bad or missing option; "--help" throws
// HelpRequested.
Options parse_options(int argc, char** argv);
struct HelpRequested {};
const char* usage_text();

// The rules with their match counters; shared by all connection threads.
class RuleSet {
public:
    explicit RuleSet(std::vector<Rule> rules);

    struct Hit {
        const Rule* rule = nullptr;
        std::size_t index = 0;   // 1-based position on the command line
        std::uint64_t count = 0;  // how many commands this rule has matched so far
    };
    // Counts the command against every rule naming it; returns the first rule
    // whose count is now a multiple of its `every`.  Thread-safe.
    std::optional<Hit> match(std::string_view command_upper);
    bool empty() const { return rules_.empty(); }

private:
    std::mutex mutex_;
    std::vector<Rule> rules_;
    std::vector<std::uint64_t> seen_;
};

}  // namespace mailferry::test::fault_proxy
