#include "formats/mbox/mbox_splitter.hpp"

#include <algorithm>
#include <cstring>

#include "formats/mbox/from_line.hpp"
#include "formats/mbox/rd_probe.hpp"

namespace mailferry::mbox {
namespace {

constexpr size_t max_from_line = 1000;  // longer lines are never From_ lines
constexpr uint64_t long_line = 1 << 20;  // a line of a skipped message kept only up to this
constexpr size_t probe_chunk = 1 << 20;
// The line ending is decided on this many bytes at the start of the data (or
// all of it), whatever the chunk size: deciding on the first chunk read made
// a "From x\r|\n" split at a chunk boundary look like a CR-only file (fuzzer).
constexpr uint64_t line_end_probe = 1 << 20;

}  // namespace

MboxSplitter::MboxSplitter(wrap::FileInput& input, const ReaderOptions& options, ReadReport& report,
                           const MessageCallback& on_message)
    : input_(input), options_(options), report_(report), on_message_(on_message),
      buf_(input, options.chunk_size) {}

Status MboxSplitter::run() {
    MF_TRY(start());
    MF_TRY(scan());
    MF_TRY(finish(buf_.end()));
    if (!input_.trailing_note().empty()) warn(buf_.end(), input_.trailing_note());
    report_.bytes = buf_.end();
    return {};
}

// ---- start: BOM, line ending ------------------------------------------------

Status MboxSplitter::start() {
    report_.gzip = input_.gzip();
    if (options_.variant != Variant::auto_detect) report_.variant = options_.variant;
    while (buf_.end() < line_end_probe) {
        auto more = fill();
        if (!more) {
            // Reported when the scan reaches it: the messages before it still go out.
            probe_error_ = more.error();
            break;
        }
        if (!*more) break;
    }
    if (buf_.end() >= 3 && std::memcmp(buf_.at(0), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
    std::string_view head = view(0, std::min(buf_.end(), line_end_probe));
    if (head.find('\n') == std::string_view::npos && head.find('\r') != std::string_view::npos) {
        // Classic Mac OS mail programs (Eudora, early Apple Mail) wrote CR alone.
        eol_ = '\r';
        report_.line_end = '\r';
        warn(0, "line endings are CR only (classic Mac OS): lines are split at CR");
    }
    cur_.kind = Unit::Kind::preamble;
    cur_.from_pos = cur_.body_start = pos_;
    return {};
}

// ---- scan: the line loop ------------------------------------------------------

Status MboxSplitter::scan() {
    for (;;) {
        const char* p = buf_.at(pos_);
        const char* end = buf_.at(buf_.end());
        // A line longer than the window is searched only once, not again after each fill.
        const char* search = buf_.at(std::max(pos_, no_eol_until_));
        bool stopped = false;
        while (p < end) {
            auto nl = static_cast<const char*>(std::memchr(search, eol_, static_cast<size_t>(end - search)));
            if (nl == nullptr) break;
            if (skip_line_) {  // the rest of a line whose start was dropped
                skip_line_ = false;
                p = search = nl + 1;
                continue;
            }
            char c = *p;
            if (c == '>') {
                note_escape(offset_of(p), std::string_view(p, static_cast<size_t>(nl - p)));
            } else if (c == 'F' || (cur_.in_header && (c == eol_ || c == '\r'))) {
                Line line{offset_of(p), offset_of(nl), offset_of(nl) + 1};
                pos_ = line.start;
                MF_TRY(special_line(line));
                pos_ = line.next;
                stopped = true;  // the window may have moved: take fresh pointers
                break;
            }
            p = search = nl + 1;
        }
        if (stopped) continue;
        pos_ = offset_of(p);
        no_eol_until_ = buf_.end();
        check_size();
        auto more = fill();
        if (!more) return stream_error(more.error());
        if (!*more) break;
    }
    if (pos_ < buf_.end() && !skip_line_) {  // the last line has no line ending
        Line line{pos_, buf_.end(), buf_.end()};
        MF_TRY(special_line(line));
        pos_ = buf_.end();
    }
    return {};
}

void MboxSplitter::note_escape(uint64_t start, std::string_view line) {
    int depth = escaped_from_depth(line);
    if (depth < 1) return;
    if (depth >= 2) rd_evidence_ = true;
    if (!cur_.skipping) cur_.escapes.push_back(start);
}

Status MboxSplitter::special_line(const Line& line) {
    std::string_view t = text(line);
    if (!t.empty() && t[0] == 'F') {
        if (cur_.cl_end != none && line.start < cur_.cl_end) return {};  // inside a verified body
        auto sep = is_separator(line);
        if (!sep) return stream_error(sep.error());
        return *sep ? on_separator(line) : Status{};
    }
    if (!t.empty() && t[0] == '>') {
        note_escape(line.start, t);
        return {};
    }
    if (cur_.in_header && blank(t)) return on_header_end(line);
    return {};
}

bool MboxSplitter::after_blank_line(uint64_t start) const {
    // start - 1 is the previous line's ending; the line before it is empty if
    // the byte before that ends a line too ("\n\n", "\n\r\n", "\r\r").
    if (start < 2 || start - 2 < buf_.begin()) return false;
    char c = *buf_.at(start - 2);
    if (c == eol_) return true;
    return eol_ == '\n' && c == '\r' && start >= buf_.begin() + 3 && *buf_.at(start - 3) == '\n';
}

Result<bool> MboxSplitter::is_separator(const Line& line) {
    std::string_view t = text(line);
    if (t.size() > max_from_line) return false;
    FromLine f = parse_from_line(t);
    if (f.kind != FromKind::weak) return f.kind == FromKind::strict;
    // A weak From_ line ("From -") splits only in a file whose From_ lines are
    // all like it (MimeKit, GMime, Gmail ids), and only before a header.
    bool prev_blank = after_blank_line(line.start);
    Line next;
    auto more = line_at(line.next, next, max_from_line + 1);
    if (!more) return more.error();
    bool header_follows = *more && looks_like_header_line(text(next).substr(0, max_from_line));
    if (mode_ == Mode::strict) {
        if (header_follows && prev_blank && line.start != weak_warned_) {
            weak_warned_ = line.start;
            warn(line.start, "a From_ line without a date is not taken as the start of a message, "
                             "since this file's From_ lines have dates");
        }
        return false;
    }
    return header_follows;
}

Status MboxSplitter::on_separator(const Line& line) {
    MF_TRY(finish(line.start));
    FromLine f = parse_from_line(text(line));
    if (mode_ == Mode::undecided) mode_ = f.kind == FromKind::strict ? Mode::strict : Mode::weak;
    cur_.kind = Unit::Kind::message;
    cur_.from_pos = line.start;
    cur_.body_start = line.next;
    cur_.sender.assign(f.sender);
    cur_.date = f.date;
    cur_.in_header = true;
    cur_.headers.reset();
    cur_.cl_end = none;
    cur_.escapes.clear();
    cur_.skipping = false;
    return {};
}

// ---- Content-Length -------------------------------------------------------------

Status MboxSplitter::on_header_end(const Line& line) {
    cur_.in_header = false;
    if (cur_.kind != Unit::Kind::message || cur_.skipping) return {};
    uint64_t header_end = line.next;
    cur_.headers = parse_mbox_headers(view(cur_.body_start, header_end));
    if (!options_.use_content_length || !cur_.headers->content_length) return {};
    uint64_t length = *cur_.headers->content_length;
    if (length <= options_.max_message_bytes) {
        auto fits = content_length_fits(header_end, header_end + length);
        if (!fits) return stream_error(fits.error());
        if (*fits) {
            cur_.cl_end = header_end + length;
            return {};
        }
    }
    warn(cur_.from_pos, "Content-Length: " + std::to_string(length) +
                            " does not match the message; it ends at the next From_ line instead");
    return {};
}

// Right means: the body ends exactly at the end of the data, or at an empty
// line that is followed by the end of the data or by a From_ line.
Result<bool> MboxSplitter::content_length_fits(uint64_t header_end, uint64_t body_end) {
    while (buf_.end() <= body_end && !buf_.eof()) {
        auto more = fill();
        if (!more) return more.error();
    }
    if (body_end > buf_.end()) return false;
    if (body_end == buf_.end()) return true;
    if (body_end > header_end && *buf_.at(body_end - 1) != eol_) return false;
    Line sep, next;
    auto more = line_at(body_end, sep, 3);
    if (!more) return more.error();
    if (!*more || !blank(text(sep))) return false;
    more = line_at(sep.next, next, max_from_line + 1);
    if (!more) return more.error();
    if (!*more) return true;
    return is_separator(next);
}

// ---- finishing a message ------------------------------------------------------

Status MboxSplitter::finish(uint64_t boundary) {
    switch (cur_.kind) {
    case Unit::Kind::none: return {};
    case Unit::Kind::preamble: return finish_preamble(boundary);
    case Unit::Kind::message: return deliver(boundary);
    }
    return {};
}

// Bytes before the first From_ line: a message that lost its From_ line (it
// starts with a header field) or junk (skipped). Either way, say so.
Status MboxSplitter::finish_preamble(uint64_t boundary) {
    uint64_t from = cur_.from_pos;
    cur_.kind = Unit::Kind::none;
    if (boundary <= from) return {};
    std::string size = std::to_string(boundary - from);
    if (cur_.skipping) {
        ++report_.skipped;
        return {};
    }
    std::string_view region = view(from, boundary);
    if (region.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        warn(from, size + " blank bytes before the first From_ line skipped");
        return {};
    }
    std::string_view first = region.substr(0, std::min(region.find(eol_), max_from_line));
    if (looks_like_header_line(first)) {
        warn(from, "no From_ line at the start: the " + size + " bytes before the first From_ line are taken as one message");
        cur_.kind = Unit::Kind::preamble;
        return deliver(boundary);
    }
    warn(from, size + " bytes before the first From_ line skipped: they do not start with a header field");
    ++report_.skipped;
    return {};
}

Status MboxSplitter::deliver(uint64_t boundary) {
    bool has_from = cur_.kind == Unit::Kind::message;
    cur_.kind = Unit::Kind::none;
    // check_size() runs only before the window is refilled: a message that
    // fits in the window is measured here, so that the limit does not depend
    // on the chunk size (fuzzer).
    if (!cur_.skipping && boundary - cur_.from_pos > options_.max_message_bytes) {
        cur_.skipping = true;
        warn(cur_.from_pos, too_big_warning());
    }
    if (cur_.skipping) {
        ++report_.skipped;
        return {};
    }
    uint64_t end = cur_.cl_end != none ? cur_.cl_end : strip_separator(cur_.body_start, boundary);
    if (end <= cur_.body_start) {
        warn(cur_.from_pos, "empty message skipped");
        ++report_.skipped;
        return {};
    }
    char* bytes = buf_.at(cur_.body_start);
    size_t size = static_cast<size_t>(end - cur_.body_start);
    if (!cur_.escapes.empty() && unescape_wanted()) size = unescape(bytes, size);
    std::string_view msg(bytes, size);
    MboxHeaders h = cur_.headers ? std::move(*cur_.headers) : parse_mbox_headers(msg);
    if (std::memchr(bytes, '\0', size) != nullptr) warn(cur_.from_pos, "the message holds NUL bytes");
    if (msg.back() != eol_) warn(cur_.from_pos, "the message does not end with a line break (truncated file?)");
    if (h.folder_internal_data)
        warn(cur_.from_pos, "UW-IMAP folder internal data (X-IMAP pseudo message), flagged for the caller");

    MboxMessage m;
    m.bytes = msg;
    m.offset = cur_.from_pos;
    m.index = report_.messages;
    m.has_from_line = has_from;
    m.sender = cur_.sender;
    m.date = cur_.date;
    m.flags = std::move(h.flags);
    m.old = h.old;
    m.gmail_labels = std::move(h.gmail_labels);
    m.folder_internal_data = h.folder_internal_data;
    m.content_length_used = cur_.cl_end != none;
    MF_TRY(on_message_(m));
    ++report_.messages;
    return {};
}

// The empty line before a From_ line (or at the end of the data) is the
// separator, not message content: drop the last line when it is empty.
uint64_t MboxSplitter::strip_separator(uint64_t start, uint64_t end) const {
    if (end <= start) return end;
    const char* b = buf_.at(start);
    size_t n = static_cast<size_t>(end - start);
    if (b[n - 1] != eol_) return end;
    size_t ending = eol_ == '\n' && n >= 2 && b[n - 2] == '\r' ? 2 : 1;
    size_t before = n - ending;
    return before == 0 || b[before - 1] == eol_ ? start + before : end;
}

// mboxrd: remove the first '>' of each escaped line, in place.
size_t MboxSplitter::unescape(char* bytes, size_t size) const {
    size_t out = 0, read = 0;
    bool any = false;
    for (uint64_t at : cur_.escapes) {
        if (at < cur_.body_start) continue;
        size_t rel = static_cast<size_t>(at - cur_.body_start);
        if (rel >= size) break;
        if (any) std::memmove(bytes + out, bytes + read, rel - read);
        out = any ? out + (rel - read) : rel;
        read = rel + 1;
        any = true;
    }
    if (!any) return size;
    std::memmove(bytes + out, bytes + read, size - read);
    return out + (size - read);
}

// ---- mboxrd or mboxo ----------------------------------------------------------

bool MboxSplitter::unescape_wanted() {
    if (unescape_) return *unescape_;
    if (options_.variant != Variant::auto_detect) {
        unescape_ = options_.variant == Variant::mboxrd;
        return *unescape_;
    }
    unescape_ = rd_evidence_ || probe_rest_for_rd();
    report_.variant = *unescape_ ? Variant::mboxrd : Variant::mboxo;
    return *unescape_;
}

// Everything before pos_ has been scanned (rd_evidence_); look at the rest,
// first in the window, then by reading the file again from where the window
// ends. Read errors end the probe: the answer is what was seen so far.
bool MboxSplitter::probe_rest_for_rd() {
    RdProbe probe(eol_, true);
    if (pos_ < buf_.end() && probe.feed(buf_.at(pos_), static_cast<size_t>(buf_.end() - pos_))) return true;
    if (buf_.eof()) return false;
    auto again = wrap::FileInput::open(input_.path());
    if (!again || !again->skip(buf_.end()).ok()) return false;
    auto chunk = std::make_unique_for_overwrite<char[]>(probe_chunk);
    for (;;) {
        auto n = again->read(chunk.get(), probe_chunk);
        if (!n || *n == 0) return false;
        if (probe.feed(chunk.get(), *n)) return true;
    }
}

// ---- the window ---------------------------------------------------------------

Result<bool> MboxSplitter::line_at(uint64_t pos, Line& line, uint64_t limit) {
    uint64_t from = pos;
    for (;;) {
        if (from < buf_.end()) {
            const void* nl = std::memchr(buf_.at(from), eol_, static_cast<size_t>(buf_.end() - from));
            if (nl != nullptr) {
                uint64_t e = offset_of(static_cast<const char*>(nl));
                line = Line{pos, e, e + 1};
                return true;
            }
            from = buf_.end();
            if (from - pos >= limit) {  // enough to judge it: its start only
                line = Line{pos, pos + limit, pos + limit};
                return true;
            }
        }
        if (buf_.eof()) {
            if (pos >= buf_.end()) return false;
            line = Line{pos, buf_.end(), buf_.end()};
            return true;
        }
        auto more = fill();
        if (!more) return more.error();
    }
}

uint64_t MboxSplitter::hold() const {
    return cur_.kind == Unit::Kind::none || cur_.skipping ? pos_ : cur_.from_pos;
}

// Called by the line loop before it reads more: everything from the unit's
// start to pos_ is the unit's, and so is the unfinished line at pos_ once it
// is too long to be a From_ line.
void MboxSplitter::check_size() {
    if (cur_.kind == Unit::Kind::none) return;
    uint64_t partial = buf_.end() - pos_;
    if (!cur_.skipping) {
        uint64_t size = (partial > max_from_line ? buf_.end() : pos_) - cur_.from_pos;
        if (size <= options_.max_message_bytes) return;
        cur_.skipping = true;
        cur_.escapes = {};
        warn(cur_.from_pos, too_big_warning());
    }
    // A skipped unit keeps nothing; of an endless line, only its tail.
    if (partial > long_line) {
        pos_ = no_eol_until_ = buf_.end();
        skip_line_ = true;
    }
}

std::string MboxSplitter::too_big_warning() const {
    return "message larger than the limit of " + std::to_string(options_.max_message_bytes) + " bytes skipped";
}

Result<bool> MboxSplitter::fill() {
    if (probe_error_) {
        Error e = std::move(*probe_error_);
        probe_error_.reset();
        return e;
    }
    auto more = buf_.fill(hold());
    report_.bytes = buf_.end();
    return more;
}

void MboxSplitter::warn(uint64_t offset, std::string text) {
    if (report_.warnings.size() < options_.max_warnings) report_.warnings.push_back({offset, std::move(text)});
    else ++report_.warnings_dropped;
}

Error MboxSplitter::stream_error(Error e) const {
    if (cur_.kind == Unit::Kind::message && !cur_.skipping)
        e.message += "; the message at offset " + std::to_string(cur_.from_pos) + " is incomplete and was not read";
    return e;
}

}  // namespace mailferry::mbox
