// libFuzzer entry for targets/date_parse.cpp (how to run it: README.md).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mailferry::fuzz::date_parse_one(data, size);
    return 0;
}
