#include "formats/mbox/mbox_cursor.hpp"
#include "formats/mbox/takeout_labels.hpp"

#include <algorithm>

namespace mailferry::mbox {

MboxCursor::MboxCursor(std::string path, ReaderOptions options, size_t max_queued_bytes)
    : reader_(std::move(path), options),
      max_queued_bytes_(max_queued_bytes),
      batch_bytes_(std::min(kBatchBytes, max_queued_bytes)) {}

MboxCursor::~MboxCursor() {
    {
        std::lock_guard<std::mutex> l(mutex_);
        stop_ = true;
    }
    not_full_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void MboxCursor::run() {
    auto hand_over = [this]() -> bool {
        std::unique_lock<std::mutex> l(mutex_);
        not_full_.wait(l, [this] { return stop_ || queue_.empty() || queued_bytes_ < max_queued_bytes_; });
        if (stop_) return false;
        bool was_empty = queue_.empty();
        for (auto& m : pending_) queue_.push_back(std::move(m));
        queued_bytes_ += pending_bytes_;
        pending_.clear();
        pending_bytes_ = 0;
        if (was_empty) not_empty_.notify_one();
        return true;
    };
    Status s = reader_.read([&](const MboxMessage& m) -> Status {
        pending_.push_back(CursorMessage{std::string(m.bytes), m.offset, m.index, m.has_from_line, m.date, m.flags,
                                         m.old, m.gmail_labels, m.folder_internal_data,
                                         is_takeout_sender(m.sender)});
        pending_bytes_ += m.bytes.size();
        if (pending_bytes_ >= batch_bytes_ && !hand_over())
            return make_error(ErrorKind::internal, Radius::message, "reading stopped");
        return {};
    });
    if (!pending_.empty()) hand_over();
    std::lock_guard<std::mutex> l(mutex_);
    status_ = std::move(s);
    done_ = true;
    not_empty_.notify_one();
}

const CursorMessage* MboxCursor::next() {
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    if (taken_.empty()) {
        std::unique_lock<std::mutex> l(mutex_);
        not_empty_.wait(l, [this] { return !queue_.empty() || done_; });
        if (queue_.empty()) return nullptr;
        taken_.swap(queue_);
        queued_bytes_ = 0;
        not_full_.notify_one();
    }
    current_ = std::move(taken_.front());
    taken_.pop_front();
    return &current_;
}

}  // namespace mailferry::mbox
