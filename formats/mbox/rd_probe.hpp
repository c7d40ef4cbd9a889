// Auto-detection of mboxrd: does the data hold a line matching ^>>+From ?
// Fed in pieces (a line may straddle two), it stops as soon as one is seen.
// Such a line is what an mboxrd writer makes of a ">From " line; an mboxo
// writer leaves ">From " alone and never produces one unless the message
// itself had ">>From " (see README.md, "mboxrd or mboxo").
#pragma once

#include <cstddef>

namespace mailferry::mbox {

class RdProbe {
public:
    // line_end: '\n', or '\r' for CR-only files. at_line_start: whether the
    // first byte fed begins a line.
    explicit RdProbe(char line_end = '\n', bool at_line_start = true);

    // Returns found() after taking these bytes.
    bool feed(const char* data, size_t size);
    bool found() const { return found_; }

private:
    char eol_;
    bool found_ = false;
    bool skipping_;       // in the middle of a line that cannot match
    size_t quotes_ = 0;   // leading '>' seen on this line
    size_t matched_ = 0;  // characters of "From " matched after them
};

}  // namespace mailferry::mbox
