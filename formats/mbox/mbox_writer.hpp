// Writes messages into an mbox file, one after the other, so that
// MboxReader (variant mboxrd) gives back exactly the same bytes (README.md).
//
// Each message is written as
//   From SENDER Www Mmm dd hh:mm:ss yyyy<EOL>   (asctime, UTC, the received date)
//   the message, escaped                        (mboxrd: ^>*From  gets one more '>';
//                                                mboxo: ^From  becomes >From )
//   <EOL>                                       (the empty separator line)
// where EOL is the message's own line ending (CRLF when its first line ends in
// CRLF, else LF): bytes are never converted. SENDER is the caller's, else the
// Return-Path address, else the From: address, else MAILER-DAEMON.
// A message whose last line has no line ending gets one: the only change the
// writer makes to a message; append() says when it happened.
//
// Files: an existing file is never replaced unless the mode says so; append
// continues an existing mbox (adding a separator if its end lacks one).
// create_in writes below an open directory without following links (export).
// close() flushes and fsyncs (the file, and the directory of a new file).
//
// Thread-safety: one writer per thread. Movable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "formats/mbox/mbox_reader.hpp"
#include "mailferry/result.hpp"
#include "wrap/file_output.hpp"

namespace mailferry::mbox {

struct WriterOptions {
    Variant variant = Variant::mboxrd;  // mboxrd or mboxo (auto_detect means mboxrd)
    wrap::FileOutput::Mode mode = wrap::FileOutput::Mode::create_new;
    size_t buffer_size = 1 << 20;
};

struct Appended {
    uint64_t offset = 0;          // of its From_ line in the file
    bool newline_added = false;   // the message did not end with a line break
    uint64_t escaped_lines = 0;
};

class MboxWriter {
public:
    static Result<MboxWriter> open(const std::string& path, WriterOptions options = {});
    // name in dir, through the handle (wrap::FileOutput::create_in): never
    // through a link; overwrite replaces the file at close(). No append.
    static Result<MboxWriter> create_in(const wrap::DirectoryHandle& dir, const std::string& name,
                                        WriterOptions options = {});

    // sender: for the From_ line; "" takes it from the message's headers.
    // An empty message is refused (invalid_data): an mbox cannot hold one.
    Result<Appended> append(std::string_view message, int64_t received, std::string_view sender = {});

    Status close();

    uint64_t messages() const { return messages_; }
    uint64_t newlines_added() const { return newlines_added_; }

private:
    MboxWriter(wrap::FileOutput out, WriterOptions options) : out_(std::move(out)), options_(options) {}
    Status write_escaped(std::string_view message, uint64_t& escaped);
    Status continue_existing();

    wrap::FileOutput out_;
    WriterOptions options_;
    uint64_t messages_ = 0;
    uint64_t newlines_added_ = 0;
};

}  // namespace mailferry::mbox
