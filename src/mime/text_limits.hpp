// The hard limits every walk through a message's MIME structure obeys
// (docs/architecture.md §8: parsers never trust the sizes and depths mail announces).
#pragma once

#include <cstddef>

namespace mailferry::mime {

struct TextLimits {
    size_t max_depth = 20;                      // nested multiparts and embedded messages
    size_t max_parts = 500;                     // MIME entities read, the message itself included
    size_t max_header_bytes = 256 * 1024;       // per header section (the message's and each part's)
    size_t max_body_bytes = 1024 * 1024;        // decoded text kept (extract_text's body)
    size_t max_input_bytes = 64 * 1024 * 1024;  // of the message, read at all
};

}  // namespace mailferry::mime
