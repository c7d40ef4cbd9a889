#include "wrap/pop3_reply.hpp"

#include <cstdio>
#include <map>

namespace mailferry::wrap {

MultilineStep multiline_step(std::string_view raw, std::string_view& line) {
    if (raw == ".\r\n" || raw == ".\n") return MultilineStep::end;
    if (raw.empty() || raw.back() != '\n') return MultilineStep::truncated;
    line = raw;
    if (line.front() == '.') line.remove_prefix(1);  // byte-stuffing (RFC 1939 §3)
    return MultilineStep::line;
}

std::optional<Pop3Listing> parse_list_line(std::string_view line) {
    Pop3Listing m;
    unsigned long long size = 0;
    if (std::sscanf(std::string(line).c_str(), "%u %llu", &m.number, &size) != 2) return std::nullopt;
    m.size = size;
    return m;
}

std::optional<std::pair<uint32_t, std::string>> parse_uidl_line(std::string_view line) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    unsigned number = 0;
    int consumed = 0;
    if (std::sscanf(s.c_str(), "%u %n", &number, &consumed) != 1) return std::nullopt;
    return std::make_pair(uint32_t(number), s.substr(size_t(consumed)));
}

void attach_uidls(std::vector<Pop3Listing>& listings, const std::vector<std::pair<uint32_t, std::string>>& uidls) {
    // A map, not a vector indexed by the last LIST number: that number is the
    // server's word (fuzzer: an unsorted LIST, or number 4294967295 wrapping
    // to a size of 0, indexed past the end), and a huge one would allocate.
    std::map<uint32_t, std::string> by_number;
    for (const auto& [number, uidl] : uidls) by_number[number] = uidl;
    for (auto& m : listings) {
        auto it = by_number.find(m.number);
        m.uidl = it == by_number.end() ? "" : it->second;
    }
}

}  // namespace mailferry::wrap
