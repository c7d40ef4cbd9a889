#include "pipeline/replay_state.hpp"

#include <algorithm>
#include <thread>

namespace mailferry::pipeline::detail {

std::string describe_message(const cache::LedgerItem& item) {
    std::string subject = item.subject.substr(0, 80);
    return "message " + std::to_string(item.message_id) + (subject.empty() ? "" : " \"" + subject + "\"");
}

void RateLimiter::acquire(uint64_t size) {
    if (messages_ <= 0 && bytes_ <= 0) return;
    using Seconds = std::chrono::duration<double>;
    std::unique_lock<std::mutex> l(mutex_);
    const auto now = Clock::now();
    // Counting from the start of the run, a long pause once let the next
    // minute's worth of messages go at once, right into a server that had
    // just asked us to slow down.
    message_clock_ = std::max(message_clock_, now);
    byte_clock_ = std::max(byte_clock_, now);
    if (messages_ > 0) message_clock_ += std::chrono::duration_cast<Clock::duration>(Seconds(1.0 / messages_));
    if (bytes_ > 0)
        byte_clock_ += std::chrono::duration_cast<Clock::duration>(Seconds(static_cast<double>(size) / bytes_));
    const auto at = std::max(messages_ > 0 ? message_clock_ : now, bytes_ > 0 ? byte_clock_ : now);
    l.unlock();
    std::this_thread::sleep_until(at);
}

std::string ascii_only(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80 && c >= 0x20; }) ? s : "";
}

Flags stored_flags(const std::string& stored, ReplayReport& counts) {
    Flags f;
    size_t i = 0;
    while (i < stored.size()) {
        size_t j = stored.find(' ', i);
        if (j == std::string::npos) j = stored.size();
        if (j > i && !f.add_imap(std::string_view(stored).substr(i, j - i))) ++counts.keywords_not_sent;
        i = j + 1;
    }
    return f;
}

std::string flags_for(const Flags& f, const net::TargetProfile& p, bool keywords_ok, ReplayReport& counts) {
    Flags out = f;
    out.keywords.clear();
    if (p.flagged_after_append) out.flagged = false;  // set by UID STORE afterwards (docs/office365.md)
    for (const auto& k : f.keywords) {
        bool mdn = k == "$MDNSent" || k == "$mdnsent";
        if (mdn && !p.mdnsent_allowed) ++counts.mdnsent_not_sent;
        else if (!mdn && (!p.keywords_allowed || !keywords_ok)) ++counts.keywords_not_sent;
        else out.keywords.push_back(k);
    }
    return out.to_imap();
}

}  // namespace mailferry::pipeline::detail
