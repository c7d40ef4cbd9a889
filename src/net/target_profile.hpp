// Target profiles: every quirk of a replay target in one table (docs/architecture.md §6,
// docs/office365.md). Code asks the profile; it never compares server strings itself.
// A new profile is one more entry in target_profile.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/result.hpp"

namespace mailferry::net {

// What a server's NO/BAD text means for the message and the run.
enum class ReplyClass {
    ok,
    throttled,   // wait at least the suggested time, reconnect, resume
    temporary,   // back off and try again
    quota,       // the mailbox is full: stop the run
    too_big,     // this message can never go: skip it
    rejected,    // this message was refused: record it as failed
};

// A reply that, repeated without progress, means the whole account is stuck.
struct StuckAccountText {
    std::string text;     // lower case, found in the server's reply
    ErrorKind kind;       // quota, auth...
    std::string meaning;  // what to tell the user
};

struct TargetProfile {
    std::string name;
    char separator = '/';                   // assumed until LIST says otherwise
    uint64_t max_message_size = 0;          // 0: no limit
    size_t max_line_length = 0;             // 0: no limit (bytes, without CRLF)
    bool keywords_allowed = true;           // false: keywords stay in the cache, counted
    bool mdnsent_allowed = true;            // false: $MDNSent is not sent
    bool flagged_after_append = false;      // \Flagged set by UID STORE after the APPEND
    int default_connections = 2;
    int max_attempts = 5;                   // per message, for temporary errors
    std::vector<std::string> reserved_folders;  // never written to; compared without case
    std::vector<std::string> temporary_texts, throttled_texts, quota_texts, too_big_texts;
    std::vector<StuckAccountText> stuck_account_texts;

    // Classifies a tagged NO or BAD reply text.
    ReplyClass classify(std::string_view text) const;
    // "Suggested Backoff Time: N milliseconds" -> N, at most
    // kMaxSuggestedBackoffMs: Exchange asks for up to five minutes; a server
    // asking for days would stall the run silently (issue 13, item 9). The
    // replay's attempts limit then ends a folder that stays throttled.
    static constexpr uint64_t kMaxSuggestedBackoffMs = 10 * 60 * 1000;
    static std::optional<uint64_t> suggested_backoff_ms(std::string_view text);
    bool is_reserved(std::string_view folder_name) const;
    // The stuck-account entry matching a server reply, or nullptr.
    const StuckAccountText* stuck_account(std::string_view server_text) const;
};

const TargetProfile& office365_profile();
const TargetProfile& generic_profile();
// By name ("office365", "generic"); nullptr if unknown.
const TargetProfile* find_profile(std::string_view name);
// The profile a host implies when none is given (outlook.office365.com -> office365).
const TargetProfile& profile_for_host(std::string_view host);

}  // namespace mailferry::net
