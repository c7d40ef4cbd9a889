#include "formats/mbox/rd_probe.hpp"

#include <cstring>

namespace mailferry::mbox {

RdProbe::RdProbe(char line_end, bool at_line_start) : eol_(line_end), skipping_(!at_line_start) {}

bool RdProbe::feed(const char* p, size_t size) {
    static constexpr char from[] = "From ";
    const char* end = p + size;
    while (p < end && !found_) {
        if (skipping_) {
            const void* nl = std::memchr(p, eol_, static_cast<size_t>(end - p));
            if (nl == nullptr) return false;
            p = static_cast<const char*>(nl) + 1;
            skipping_ = false;
            quotes_ = matched_ = 0;
            continue;
        }
        char c = *p++;
        if (c == eol_) {
            quotes_ = matched_ = 0;
        } else if (matched_ == 0 && c == '>') {
            ++quotes_;
        } else if (quotes_ >= 2 && c == from[matched_]) {
            found_ = ++matched_ == 5;
        } else {
            skipping_ = true;
        }
    }
    return found_;
}

}  // namespace mailferry::mbox
