#include "pipeline/folder_filter.hpp"

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
    // Iterative matcher with backtracking to the last wildcard; '%' may not
    // cross the delimiter. Linear enough for folder names.
    size_t pi = 0, ni = 0, star_p = std::string_view::npos, star_n = 0;
    bool star_is_percent = false;
    while (ni < n.size()) {
        if (pi < p.size() && (p[pi] == '*' || p[pi] == '%')) {
            star_is_percent = p[pi] == '%';
            star_p = pi++;
            star_n = ni;
        } else if (pi < p.size() && p[pi] == n[ni]) {
            ++pi;
            ++ni;
        } else if (star_p != std::string_view::npos &&
                   !(star_is_percent && delim != '\0' && n[star_n] == delim)) {
            pi = star_p + 1;
            ni = ++star_n;
        } else {
            return false;
        }
    }
    while (pi < p.size() && (p[pi] == '*' || p[pi] == '%')) ++pi;
    return pi == p.size();
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
