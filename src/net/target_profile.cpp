#include "net/target_profile.hpp"

#include <algorithm>
#include <cctype>

#include "core/ascii.hpp"

namespace mailferry::net {
namespace {

using ascii::lower;

bool contains_any(const std::string& haystack, const std::vector<std::string>& needles) {
    return std::any_of(needles.begin(), needles.end(),
                       [&](const std::string& n) { return haystack.find(n) != std::string::npos; });
}

// Texts every server may send (RFC 5530 response codes), in lower case.
const std::vector<std::string> kCommonTemporary = {"[unavailable]", "[inuse]", "try again", "temporar"};
const std::vector<std::string> kCommonQuota = {"[overquota]", "quota"};
const std::vector<std::string> kCommonTooBig = {"[toobig]", "[limit]", "too large", "too big"};

TargetProfile make_office365() {
    TargetProfile p;
    p.name = "office365";
    p.separator = '/';
    p.max_message_size = 35ull * 1000 * 1000;  // docs/office365.md: 35 MB default
    p.max_line_length = 10000;                 // BAD Command Error. 10 beyond ~10 KB
    p.keywords_allowed = false;                // BAD Command Argument Error. 11
    p.mdnsent_allowed = false;                 // becomes a visible category
    p.flagged_after_append = true;             // forgotten by other clients when set on APPEND
    p.default_connections = 4;
    p.reserved_folders = {"Outbox", "Files", "Calendar", "Contacts", "Tasks", "Notes", "Journal",
                          "RSS Feeds", "Conversation History", "Sync Issues"};
    p.throttled_texts = {"request is throttled", "suggested backoff time"};
    // "Server Unavailable. 15" is often a full mailbox: retried, then the run stops (see classify).
    p.temporary_texts = kCommonTemporary;
    p.temporary_texts.push_back("server unavailable");
    p.temporary_texts.push_back("user is authenticated but not connected");
    p.quota_texts = kCommonQuota;
    p.too_big_texts = kCommonTooBig;
    p.too_big_texts.push_back("maximum size of appendable message has been exceeded");
    p.stuck_account_texts = {
        {"server unavailable", ErrorKind::quota,
         "the server keeps answering 'Server Unavailable', which on Exchange Online usually means the mailbox is full"},
        {"authenticated but not connected", ErrorKind::auth,
         "the login works but the mailbox cannot be opened: check the FullAccess permission and the service "
         "principal, or use fewer connections"},
    };
    return p;
}

TargetProfile make_generic() {
    TargetProfile p;
    p.name = "generic";
    p.separator = '/';
    p.default_connections = 2;
    p.temporary_texts = kCommonTemporary;
    p.throttled_texts = {"suggested backoff time", "[throttled]"};
    p.quota_texts = kCommonQuota;
    p.too_big_texts = kCommonTooBig;
    return p;
}

}  // namespace

ReplyClass TargetProfile::classify(std::string_view text) const {
    std::string t = lower(text);
    if (contains_any(t, throttled_texts)) return ReplyClass::throttled;
    if (contains_any(t, too_big_texts)) return ReplyClass::too_big;
    if (contains_any(t, quota_texts)) return ReplyClass::quota;
    if (contains_any(t, temporary_texts)) return ReplyClass::temporary;
    return ReplyClass::rejected;
}

std::optional<uint64_t> TargetProfile::suggested_backoff_ms(std::string_view text) {
    std::string t = lower(text);
    const std::string key = "suggested backoff time:";
    size_t pos = t.find(key);
    if (pos == std::string::npos) return std::nullopt;
    pos += key.size();
    while (pos < t.size() && t[pos] == ' ') ++pos;
    uint64_t ms = 0;
    size_t digits = 0;
    while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos])) && digits < 12) {
        ms = ms * 10 + static_cast<uint64_t>(t[pos++] - '0');
        ++digits;
    }
    if (digits == 0) return std::nullopt;
    return std::min(ms, kMaxSuggestedBackoffMs);
}

bool TargetProfile::is_reserved(std::string_view folder_name) const {
    std::string l = lower(folder_name);
    return std::any_of(reserved_folders.begin(), reserved_folders.end(),
                       [&](const std::string& r) { return lower(r) == l; });
}

const StuckAccountText* TargetProfile::stuck_account(std::string_view server_text) const {
    std::string t = lower(server_text);
    for (const auto& s : stuck_account_texts)
        if (t.find(s.text) != std::string::npos) return &s;
    return nullptr;
}

const TargetProfile& office365_profile() {
    static const TargetProfile p = make_office365();
    return p;
}

const TargetProfile& generic_profile() {
    static const TargetProfile p = make_generic();
    return p;
}

const TargetProfile* find_profile(std::string_view name) {
    if (name == "office365") return &office365_profile();
    if (name == "generic") return &generic_profile();
    return nullptr;
}

const TargetProfile& profile_for_host(std::string_view host) {
    std::string h = lower(host);
    if (h == "outlook.office365.com" || h == "outlook.office.com") return office365_profile();
    return generic_profile();
}

}  // namespace mailferry::net
