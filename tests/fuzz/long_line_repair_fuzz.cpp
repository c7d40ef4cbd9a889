// libFuzzer entry for targets/long_line_repair.cpp (how to run it: README.md).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mailferry::fuzz::long_line_repair_one(data, size);
    return 0;
}
