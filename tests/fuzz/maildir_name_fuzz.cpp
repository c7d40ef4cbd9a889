// libFuzzer entry for targets/maildir_name.cpp (how to run it: README.md).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mailferry::fuzz::maildir_name_one(data, size);
    return 0;
}
