// The state machine behind MboxReader (mbox_reader.hpp states the contract):
// it walks the lines of the stream once, finds the From_ lines that split
// messages, and completes each message when the next one starts.
//
// Phases: start (open, BOM, line ending) -> scan (lines; a fast loop that only
// stops at lines starting with 'F' or '>' or at the end of a header) ->
// finish (the last message, the report). Internal to formats/mbox.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/mbox/chunk_buffer.hpp"
#include "formats/mbox/mbox_headers.hpp"
#include "formats/mbox/mbox_reader.hpp"
#include "wrap/file_input.hpp"

namespace mailferry::mbox {

class MboxSplitter {
public:
    // input: opened by the caller, read from its start.
    MboxSplitter(wrap::FileInput& input, const ReaderOptions& options, ReadReport& report,
                 const MessageCallback& on_message);
    Status run();

private:
    static constexpr uint64_t none = ~uint64_t{0};

    struct Line {
        uint64_t start = 0, end = 0, next = 0;  // end: its line-ending byte (or the data end)
    };
    enum class Mode { undecided, strict, weak };  // the shape of the file's first From_ line
    struct Unit {  // what is being assembled: bytes before the first From_ line, or a message
        enum class Kind { none, preamble, message } kind = Kind::none;
        uint64_t from_pos = 0;     // its From_ line, or its first byte
        uint64_t body_start = 0;   // its first byte
        std::string sender;
        std::optional<int64_t> date;
        bool in_header = false;
        std::optional<MboxHeaders> headers;  // parsed at the header's end
        uint64_t cl_end = none;              // end given by a verified Content-Length
        std::vector<uint64_t> escapes;       // starts of its ^>+From  lines
        bool skipping = false;               // over the size limit: not delivered
    };

    Status start();
    Status scan();
    Status special_line(const Line& line);
    void note_escape(uint64_t start, std::string_view line);
    bool after_blank_line(uint64_t start) const;
    Result<bool> is_separator(const Line& line);
    Status on_separator(const Line& line);
    Status on_header_end(const Line& line);
    Result<bool> content_length_fits(uint64_t header_end, uint64_t body_end);
    Status finish(uint64_t boundary);
    Status finish_preamble(uint64_t boundary);
    Status deliver(uint64_t boundary);
    bool unescape_wanted();
    bool probe_rest_for_rd();
    size_t unescape(char* bytes, size_t size) const;
    uint64_t strip_separator(uint64_t start, uint64_t end) const;

    // The line starting at pos (reading more as needed), or false at the end of
    // the data. With a limit, a longer line is cut there (enough to judge it).
    Result<bool> line_at(uint64_t pos, Line& line, uint64_t limit = none);
    void check_size();
    Result<bool> fill();
    uint64_t hold() const;
    std::string_view text(const Line& line) { return {buf_.at(line.start), line.end - line.start}; }
    std::string_view view(uint64_t from, uint64_t to) { return {buf_.at(from), to - from}; }
    uint64_t offset_of(const char* p) const { return buf_.begin() + static_cast<uint64_t>(p - buf_.at(buf_.begin())); }
    bool blank(std::string_view line) const { return line.empty() || (line.size() == 1 && line[0] == '\r'); }
    void warn(uint64_t offset, std::string text);
    std::string too_big_warning() const;
    Error stream_error(Error e) const;

    wrap::FileInput& input_;
    const ReaderOptions& options_;
    ReadReport& report_;
    const MessageCallback& on_message_;
    ChunkBuffer buf_;
    char eol_ = '\n';
    Mode mode_ = Mode::undecided;
    Unit cur_;
    uint64_t pos_ = 0;          // start of the line being looked at
    uint64_t no_eol_until_ = 0; // no line ending in [pos_, no_eol_until_)
    std::optional<Error> probe_error_;  // a read error met by start(), returned by the first fill()
    bool skip_line_ = false;    // pos_ is inside a line whose start was dropped
    bool rd_evidence_ = false;  // a ^>>+From  line was seen
    std::optional<bool> unescape_;
    uint64_t weak_warned_ = none;  // the weak From_ line last warned about
};

}  // namespace mailferry::mbox
