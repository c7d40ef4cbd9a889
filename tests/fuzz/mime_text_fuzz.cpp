// libFuzzer entry for targets/mime_text.cpp (how to run it: README.md).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mailferry::fuzz::mime_text_one(data, size);
    return 0;
}
