#include "formats/mbox/chunk_buffer.hpp"

#include <cstring>

namespace mailferry::mbox {

ChunkBuffer::ChunkBuffer(wrap::FileInput& input, size_t chunk_size)
    : input_(input), chunk_(chunk_size > 0 ? chunk_size : 1) {}

Result<bool> ChunkBuffer::fill(uint64_t keep) {
    if (eof_) return false;
    if (keep > base_) {
        // Dropping the consumed prefix moves at most one message's worth of
        // bytes, once per chunk: linear in the file size.
        size_t drop = static_cast<size_t>(keep - base_);
        std::memmove(data_.get(), data_.get() + drop, len_ - drop);
        len_ -= drop;
        base_ = keep;
    }
    if (cap_ - len_ < chunk_) {
        size_t want = std::max(cap_ * 2, len_ + chunk_);
        auto bigger = std::make_unique_for_overwrite<char[]>(want);
        if (len_ > 0) std::memcpy(bigger.get(), data_.get(), len_);
        data_ = std::move(bigger);
        cap_ = want;
    }
    auto n = input_.read(data_.get() + len_, chunk_);
    if (!n) {
        eof_ = true;
        return n.error();
    }
    if (*n == 0) {
        eof_ = true;
        return false;
    }
    len_ += *n;
    return true;
}

}  // namespace mailferry::mbox
