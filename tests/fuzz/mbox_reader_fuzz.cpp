// libFuzzer entry for targets/mbox_reader.cpp (how to run it: README.md).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mailferry::fuzz::mbox_reader_one(data, size);
    return 0;
}
