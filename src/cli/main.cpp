// mailferry's entry point. Exit codes: README.md, "Exit codes".
#include <exception>
#include <iostream>

#include "cli/options.hpp"

int main(int argc, char** argv) {
    try {
        return mailferry::cli::run_command_line(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mailferry: internal error: " << e.what() << "\n";
        return 70;
    }
}
