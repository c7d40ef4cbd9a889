// A sliding window over a FileInput, addressed by absolute offsets in the
// (decompressed) stream: the mbox reader keeps the message it is assembling
// in the window and lets go of everything before it.
//
// Memory: the window holds the bytes from the oldest offset the caller still
// needs (keep) to what was read last, plus one chunk; so it is bounded by the
// largest message, not by the file. The window grows by doubling and never
// shrinks. Pointers into it are valid until the next fill().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "mailferry/result.hpp"
#include "wrap/file_input.hpp"

namespace mailferry::mbox {

class ChunkBuffer {
public:
    ChunkBuffer(wrap::FileInput& input, size_t chunk_size);

    uint64_t begin() const { return base_; }
    uint64_t end() const { return base_ + len_; }
    bool eof() const { return eof_; }
    char* at(uint64_t offset) { return data_.get() + (offset - base_); }
    const char* at(uint64_t offset) const { return data_.get() + (offset - base_); }

    // Reads one more chunk, first dropping the bytes before keep (keep <= end()).
    // Returns false, and sets eof(), when the input has ended. A read error is
    // returned once; the bytes read before it stay in the window.
    Result<bool> fill(uint64_t keep);

private:
    wrap::FileInput& input_;
    size_t chunk_;
    std::unique_ptr<char[]> data_;
    size_t cap_ = 0;
    size_t len_ = 0;
    uint64_t base_ = 0;
    bool eof_ = false;
};

}  // namespace mailferry::mbox
