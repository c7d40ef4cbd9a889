// mailferry's entry point. Exit codes: README.md, "Exit codes".
#include <csignal>
#include <exception>
#include <iostream>

#include "cli/options.hpp"

int main(int argc, char** argv) {
    // libetpan writes to sockets with plain write(): a server that hangs up
    // must give an error we can report, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return mailferry::cli::run_command_line(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mailferry: internal error: " << e.what() << "\n";
        return 70;
    }
}
