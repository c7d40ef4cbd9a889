#include "cli/secrets.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "wrap/secret_file.hpp"

namespace mailferry::cli {
namespace {

Error usage(std::string text) { return make_error(ErrorKind::usage, Radius::fatal, std::move(text)); }

Result<SecretString> from_file(const std::string& path) {
    auto file = wrap::read_secret_file(path, "the password file", wrap::OthersMayRead::warn);
    if (!file) return file.error();
    if (!file->warning.empty()) std::cerr << file->warning << "\n";
    SecretString pw = first_line(file->text);
    if (pw.empty()) return usage("the password file " + path + " is empty");
    return pw;
}

Result<SecretString> from_prompt(const std::string& account, const std::string& server) {
    if (!::isatty(STDIN_FILENO))
        return usage("no password for " + account + ": give --password-file FILE or --password-env NAME "
                     "(there is no terminal to ask on)");
    std::cerr << "Password for " << account << " at " << server << ": " << std::flush;
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    // Reserved up front: a growing string would free shorter copies unwiped.
    std::string typed;
    typed.reserve(1024);
    std::getline(std::cin, typed);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::cerr << "\n";
    SecretString pw = first_line(SecretString(std::move(typed)));
    if (pw.empty()) return usage("no password entered");
    return pw;
}

}  // namespace

Result<SecretString> obtain_password(const ConnectionArgs& args, const std::string& account,
                                    const std::string& server) {
    if (!args.password_file.empty() && !args.password_env.empty())
        return usage("give either --password-file or --password-env, not both");
    if (!args.password_file.empty()) return from_file(args.password_file);
    if (!args.password_env.empty()) {
        const char* v = std::getenv(args.password_env.c_str());
        if (!v || !*v) return usage("the environment variable " + args.password_env + " is not set or empty");
        // The environment's copy stays: it belongs to the process's start-up block.
        return SecretString(v);
    }
    return from_prompt(account, server);
}

}  // namespace mailferry::cli
