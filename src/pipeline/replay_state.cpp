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
    std::unique_lock<std::mutex> l(mutex_);
    sent_messages_ += 1;
    sent_bytes_ += static_cast<double>(size);
    double due = std::max(messages_ > 0 ? sent_messages_ / messages_ : 0.0, bytes_ > 0 ? sent_bytes_ / bytes_ : 0.0);
    auto at = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(due));
    l.unlock();
    std::this_thread::sleep_until(at);
}

std::string ascii_only(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80 && c >= 0x20; }) ? s : "";
}

std::string flags_for(const Flags& f, const net::TargetProfile& p, bool keywords_ok, ReplayReport& counts) {
    Flags out = f;
    out.keywords.clear();
    if (p.flagged_after_append) out.flagged = false;  // set by UID STORE afterwards (office365.md)
    for (const auto& k : f.keywords) {
        bool mdn = k == "$MDNSent" || k == "$mdnsent";
        if (mdn && !p.mdnsent_allowed) ++counts.mdnsent_not_sent;
        else if (!mdn && (!p.keywords_allowed || !keywords_ok)) ++counts.keywords_not_sent;
        else out.keywords.push_back(k);
    }
    return out.to_imap();
}

}  // namespace mailferry::pipeline::detail
