// libFuzzer entry for targets/folder_map.cpp (how to run it: README.md).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mailferry::fuzz::folder_map_one(data, size);
    return 0;
}
