// libFuzzer entry for targets/server_reply.cpp (how to run it: README.md).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    mailferry::fuzz::server_reply_one(data, size);
    return 0;
}
