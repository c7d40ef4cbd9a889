#include "harness_util.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mailferry::test::detail {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

RunResult run_process(const std::vector<std::string>& argv) {
    int out_pipe[2];
    int err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        int saved = errno;
        close(out_pipe[0]);
        close(out_pipe[1]);
        errno = saved;
        throw_errno("pipe2");
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);

    pid_t pid = -1;
    int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (rc != 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        errno = rc;
        throw_errno("posix_spawn " + argv[0]);
    }

    RunResult result;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        int n = poll(fds, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                sinks[i]->append(buf, static_cast<size_t>(got));
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& p : fds)
        if (p.fd >= 0) close(p.fd);

    int wstatus = 0;
    pid_t w;
    do {
        w = waitpid(pid, &wstatus, 0);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        result.status = errno == ECHILD ? 0 : -1;  // SIGCHLD ignored: status lost
    } else if (WIFEXITED(wstatus)) {
        result.status = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        result.status = 128 + WTERMSIG(wstatus);
    }
    return result;
}

bool keep_dirs() {
    const char* v = std::getenv("MAILFERRY_KEEP_TEST_DIRS");
    return v != nullptr && *v != '\0';
}

void remove_tree(const std::string& dir, const std::string& who) {
    if (dir.empty()) return;
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (!ec) return;
    // Read-only directories (copied from the corpus) block removal: open them up.
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code ec2;
        if (it->is_directory(ec2) && !it->is_symlink(ec2))
            fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec2);
    }
    ec.clear();
    fs::remove_all(dir, ec);
    if (ec) std::fprintf(stderr, "%s: cannot remove %s: %s\n", who.c_str(), dir.c_str(), ec.message().c_str());
}

std::string temp_base() {
    // dovecot-harness wants a short DIR (unix socket paths are limited to 108 bytes).
    const char* t = std::getenv("TMPDIR");
    if (t != nullptr && *t == '/' && std::strlen(t) <= 40) return t;
    return "/tmp";
}

std::string make_temp_dir(const std::string& prefix) {
    std::string templ = temp_base() + "/" + prefix + "XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) throw_errno("mkdtemp " + templ);
    return buf.data();
}

std::map<std::string, std::string> read_env_file(const std::string& path, const std::string& who) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(who + ": cannot read " + path);
    std::map<std::string, std::string> env;
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq == std::string::npos || line.empty() || line[0] == '#') continue;
        std::string value = line.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
            value = value.substr(1, value.size() - 2);
        env[line.substr(0, eq)] = value;
    }
    return env;
}

const std::string& require(const std::map<std::string, std::string>& env, const std::string& key,
                           const std::string& who) {
    auto it = env.find(key);
    if (it == env.end() || it->second.empty())
        throw std::runtime_error(who + ": " + key + " missing from the harness env file");
    return it->second;
}

int require_int(const std::map<std::string, std::string>& env, const std::string& key, const std::string& who) {
    const std::string& v = require(env, key, who);
    try {
        return std::stoi(v);
    } catch (const std::exception&) {
        throw std::runtime_error(who + ": bad " + key + "=" + v + " in the harness env file");
    }
}

}  // namespace mailferry::test::detail
