#include "wrap/process_limits.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

namespace mailferry::wrap {

void forbid_core_dumps() {
    struct rlimit none = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &none);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace mailferry::wrap
