// libFuzzer entry for targets/append_command.cpp (how to run it: README.md).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mailferry::fuzz::append_command_one(data, size);
    return 0;
}
