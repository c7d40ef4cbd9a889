#include "core/failpoint.hpp"

#ifdef MAILFERRY_FAILPOINTS

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace mailferry {
namespace {

struct Armed {
    std::string name;
    long at = 0;  // 0: disarmed
    std::atomic<long> passes{0};

    // Read once, before any thread starts: "name:N".
    Armed() {
        const char* spec = std::getenv("MAILFERRY_FAILPOINT");
        const char* colon = spec ? std::strrchr(spec, ':') : nullptr;
        if (!colon) return;
        name.assign(spec, colon);
        at = std::strtol(colon + 1, nullptr, 10);
    }
};

Armed& armed() {
    static Armed a;
    return a;
}

}  // namespace

void failpoint(const char* name) {
    Armed& a = armed();
    if (a.at <= 0 || a.name != name) return;
    if (a.passes.fetch_add(1) + 1 == a.at) ::raise(SIGKILL);
}

}  // namespace mailferry

#endif
