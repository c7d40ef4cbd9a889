// Pull-style reading of an mbox file with MboxReader as it is: the reader runs
// on a thread of its own, a bounded queue ahead of the caller, who takes one
// message at a time. So a caller can stop after any message and go on later
// (the fetch pipeline asks for messages batch by batch) without reading the
// file again from its start, and the splitting of the file and what the
// caller does with each message (hashing, writing) run on two cores.
//
// Memory: messages wait in a queue of at most max_queued_bytes (and always
// at least one batch); besides, the caller holds the batch it is taking from
// and the reader its window and the batch it is filling: a few tens of MB and
// a few times the largest message, whatever the file's size.
//
// Ownership and threads: one caller thread; the reader thread is the cursor's
// own, started by the first next() and stopped by the destructor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "formats/mbox/mbox_reader.hpp"

namespace mailferry::mbox {

// An MboxMessage that owns its bytes (the sender is left out).
struct CursorMessage {
    std::string bytes;
    uint64_t offset = 0;
    uint64_t index = 0;
    bool has_from_line = true;
    std::optional<int64_t> date;
    Flags flags;
    bool old = false;
    std::optional<std::string> gmail_labels;
    bool folder_internal_data = false;
    bool takeout_envelope = false;  // the From_ line is Google Takeout's (is_takeout_sender)
};

class MboxCursor {
public:
    static constexpr size_t kDefaultQueueBytes = size_t{32} << 20;
    // Messages change hands in batches of about this size (or max_queued_bytes
    // if smaller): a lock and a wake-up per message cost more than the copy.
    static constexpr size_t kBatchBytes = size_t{1} << 20;

    MboxCursor(std::string path, ReaderOptions options, size_t max_queued_bytes = kDefaultQueueBytes);
    ~MboxCursor();
    MboxCursor(const MboxCursor&) = delete;
    MboxCursor& operator=(const MboxCursor&) = delete;

    // The next message, valid until the next call to next() or the cursor's
    // end; nullptr at the end of the data or after a read error.
    const CursorMessage* next();
    // After next() returned nullptr: the reader's result (an error for a broken
    // gzip stream or an I/O error) and its report.
    const Status& status() const { return status_; }
    const ReadReport& report() const { return reader_.report(); }

private:
    void run();

    MboxReader reader_;
    const size_t max_queued_bytes_, batch_bytes_;
    std::mutex mutex_;
    std::condition_variable not_empty_, not_full_;
    std::deque<CursorMessage> queue_;     // guarded by mutex_
    size_t queued_bytes_ = 0;
    std::deque<CursorMessage> pending_;   // the reader's batch being filled
    size_t pending_bytes_ = 0;
    std::deque<CursorMessage> taken_;     // the caller's batch being emptied
    bool done_ = false;  // the reader returned
    bool stop_ = false;  // the cursor is going away
    Status status_;
    CursorMessage current_;
    std::thread thread_;
};

}  // namespace mailferry::mbox
