// mailferry's entry point. Exit codes: README.md, "Exit codes".
#include <malloc.h>

#include <csignal>
#include <exception>
#include <iostream>

#include "cli/options.hpp"
#include "wrap/process_limits.hpp"

int main(int argc, char** argv) {
    // libetpan writes to sockets with plain write(): a server that hangs up
    // must give an error we can report, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    // Passwords and tokens live in this process's memory: no core file shows them.
    mailferry::wrap::forbid_core_dumps();
    // Message buffers come and go in all sizes, up to tens of MB. A fixed mmap
    // threshold keeps glibc from raising it after the first large free, which
    // would leave big messages in the heap and let peak memory grow with the
    // number of large messages seen rather than with the largest one.
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    try {
        return mailferry::cli::run_command_line(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mailferry: internal error: " << e.what() << "\n";
        return 70;
    }
}
