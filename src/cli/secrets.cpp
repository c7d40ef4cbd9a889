#include "cli/secrets.hpp"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "wrap/posix_file.hpp"

namespace mailferry::cli {
namespace {

Error usage(std::string text) { return make_error(ErrorKind::usage, Radius::fatal, std::move(text)); }

std::string first_line(const std::string& s) {
    std::string line = s.substr(0, s.find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

Result<std::string> from_file(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077))
        std::cerr << "warning: " << path << " can be read by other users (chmod 600 it)\n";
    auto text = wrap::read_file(path);
    if (!text) return text.error();
    std::string pw = first_line(*text);
    if (pw.empty()) return usage("the password file " + path + " is empty");
    return pw;
}

Result<std::string> from_prompt(const std::string& account, const std::string& server) {
    if (!::isatty(STDIN_FILENO))
        return usage("no password for " + account + ": give --password-file FILE or --password-env NAME "
                     "(there is no terminal to ask on)");
    std::cerr << "Password for " << account << " at " << server << ": " << std::flush;
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::string pw;
    std::getline(std::cin, pw);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::cerr << "\n";
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    if (pw.empty()) return usage("no password entered");
    return pw;
}

}  // namespace

Result<std::string> obtain_password(const ConnectionArgs& args, const std::string& account,
                                    const std::string& server) {
    if (!args.password_file.empty() && !args.password_env.empty())
        return usage("give either --password-file or --password-env, not both");
    if (!args.password_file.empty()) return from_file(args.password_file);
    if (!args.password_env.empty()) {
        const char* v = std::getenv(args.password_env.c_str());
        if (!v || !*v) return usage("the environment variable " + args.password_env + " is not set or empty");
        return std::string(v);
    }
    return from_prompt(account, server);
}

}  // namespace mailferry::cli
