#include "formats/mbox/mbox_writer.hpp"

#include <cstring>

#include "formats/mbox/from_line.hpp"
#include "formats/mbox/mbox_headers.hpp"

namespace mailferry::mbox {
namespace {

bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// The message's own line ending, taken from its first line.
std::string_view line_ending_of(std::string_view message) {
    size_t nl = message.find('\n');
    return nl != std::string_view::npos && nl > 0 && message[nl - 1] == '\r' ? "\r\n" : "\n";
}

}  // namespace

Result<MboxWriter> MboxWriter::open(const std::string& path, WriterOptions options) {
    if (options.variant == Variant::auto_detect) options.variant = Variant::mboxrd;
    auto out = wrap::FileOutput::open(path, options.mode, options.buffer_size);
    if (!out) return out.error();
    MboxWriter w(std::move(*out), options);
    MF_TRY(w.continue_existing());
    return w;
}

Result<MboxWriter> MboxWriter::create_in(const wrap::DirectoryHandle& dir, const std::string& name,
                                         WriterOptions options) {
    if (options.variant == Variant::auto_detect) options.variant = Variant::mboxrd;
    auto out = wrap::FileOutput::create_in(dir, name, options.mode, options.buffer_size);
    if (!out) return out.error();
    return MboxWriter(std::move(*out), options);
}

// Appending to an mbox whose last message lacks the separator (or a final line
// break) would glue our From_ line to it; end it the way the reader expects.
Status MboxWriter::continue_existing() {
    std::string_view tail = out_.tail_at_open();
    if (out_.size() == 0 || tail.empty()) return {};
    if (ends_with(tail, "\n\n") || ends_with(tail, "\n\r\n")) return {};
    if (ends_with(tail, "\r\n")) return out_.write("\r\n");
    if (ends_with(tail, "\n")) return out_.write("\n");
    return out_.write("\n\n");
}

Result<Appended> MboxWriter::append(std::string_view message, int64_t received, std::string_view sender) {
    if (message.empty()) {
        Error e = make_error(ErrorKind::invalid_data, Radius::message, "an empty message cannot be stored in an mbox");
        return e.in("file " + out_.path());
    }
    Appended info;
    info.offset = out_.size();
    std::string_view eol = line_ending_of(message);
    std::string from = format_from_line(sender.empty() ? envelope_sender(message) : std::string(sender), received);
    from.append(eol);
    MF_TRY(out_.write(from));
    MF_TRY(write_escaped(message, info.escaped_lines));
    if (message.back() != '\n') {
        MF_TRY(out_.write(eol));
        info.newline_added = true;
        ++newlines_added_;
    }
    MF_TRY(out_.write(eol));  // the empty separator line
    ++messages_;
    return info;
}

// Writes the message in runs between the lines that need a '>' in front.
Status MboxWriter::write_escaped(std::string_view m, uint64_t& escaped) {
    bool rd = options_.variant == Variant::mboxrd;
    size_t run = 0, line = 0;
    while (line < m.size()) {
        std::string_view rest = m.substr(line);
        bool needs = rd ? (rest[0] == '>' || rest[0] == 'F') && escaped_from_depth(rest.substr(0, rest.find('\n'))) >= 0
                        : rest.substr(0, 5) == "From ";
        if (needs) {
            MF_TRY(out_.write(m.substr(run, line - run)));
            MF_TRY(out_.write(">"));
            run = line;
            ++escaped;
        }
        const void* nl = std::memchr(m.data() + line, '\n', m.size() - line);
        if (nl == nullptr) break;
        line = static_cast<size_t>(static_cast<const char*>(nl) - m.data()) + 1;
    }
    return out_.write(m.substr(run));
}

Status MboxWriter::close() { return out_.close(); }

}  // namespace mailferry::mbox
