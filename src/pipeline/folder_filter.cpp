#include "pipeline/folder_filter.hpp"

#include <vector>

namespace mailferry::pipeline {
namespace {

bool is_inbox(std::string_view s) {
    if (s.size() != 5) return false;
    for (size_t i = 0; i < 5; ++i)
        if ((s[i] & ~0x20) != "INBOX"[i]) return false;
    return true;
}

}  // namespace

bool wildcard_match(std::string_view p, std::string_view n, char delim) {
    // Dynamic programming over (pattern suffix, name suffix), one row at a
    // time from the end of the pattern: every wildcard keeps its own
    // backtrack point (one shared point missed "*/%" against "a/b/c"), in
    // O(|p| * |n|) time and O(|n|) memory, whatever the input.
    std::vector<char> next(n.size() + 1, 0), row(n.size() + 1, 0);
    next[n.size()] = 1;  // the empty pattern matches the empty name
    for (size_t i = p.size(); i-- > 0;) {
        const char c = p[i];
        row[n.size()] = (c == '*' || c == '%') && next[n.size()];
        for (size_t j = n.size(); j-- > 0;) {
            if (c == '*') row[j] = next[j] || row[j + 1];
            else if (c == '%') row[j] = next[j] || ((delim == '\0' || n[j] != delim) && row[j + 1]);
            else row[j] = c == n[j] && next[j + 1];
        }
        std::swap(row, next);
    }
    return next[0] != 0;
}

bool FolderFilter::any_match(const std::vector<std::string>& patterns, const SourceFolder& f) const {
    for (const auto& p : patterns) {
        if (is_inbox(p) && is_inbox(f.raw_name)) return true;
        if (wildcard_match(p, f.name, f.delimiter) || wildcard_match(p, f.raw_name, f.delimiter)) return true;
    }
    return false;
}

bool FolderFilter::accepts(const SourceFolder& f) const {
    if (!include_.empty() && !any_match(include_, f)) return false;
    return !any_match(exclude_, f);
}

}  // namespace mailferry::pipeline
