#include "test_dovecot.hpp"

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

#ifndef MAILFERRY_HARNESS_DIR
#error "MAILFERRY_HARNESS_DIR must be defined (see tests/harness/CMakeLists.txt)"
#endif
#ifndef MAILFERRY_SOURCE_DIR
#error "MAILFERRY_SOURCE_DIR must be defined (see tests/harness/CMakeLists.txt)"
#endif

extern char** environ;

namespace mailferry::test {
namespace {

namespace fs = std::filesystem;

struct RunResult {
    int status = -1;  // exit status, or 128 + signal
    std::string out;
    std::string err;
};

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// Runs argv[0] with the given arguments (no shell), stdin from /dev/null,
// collecting stdout and stderr.
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

void remove_tree(const std::string& dir) {
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
    if (ec) std::fprintf(stderr, "TestDovecot: cannot remove %s: %s\n", dir.c_str(), ec.message().c_str());
}

std::string temp_base() {
    // dovecot-harness wants a short DIR (unix socket paths are limited to 108 bytes).
    const char* t = std::getenv("TMPDIR");
    if (t != nullptr && *t == '/' && std::strlen(t) <= 40) return t;
    return "/tmp";
}

std::map<std::string, std::string> read_env_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("TestDovecot: cannot read " + path);
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

const std::string& require(const std::map<std::string, std::string>& env, const std::string& key) {
    auto it = env.find(key);
    if (it == env.end() || it->second.empty())
        throw std::runtime_error("TestDovecot: " + key + " missing from the harness env file");
    return it->second;
}

int require_int(const std::map<std::string, std::string>& env, const std::string& key) {
    const std::string& v = require(env, key);
    try {
        return std::stoi(v);
    } catch (const std::exception&) {
        throw std::runtime_error("TestDovecot: bad " + key + "=" + v + " in the harness env file");
    }
}

}  // namespace

std::string harness_script() {
    return std::string(MAILFERRY_HARNESS_DIR) + "/dovecot-harness";
}

std::string corpus_dir() {
    if (const char* c = std::getenv("MAILFERRY_CORPUS"); c != nullptr && *c != '\0') return c;
    return fs::path(std::string(MAILFERRY_SOURCE_DIR) + "/../shared/corpus/dev").lexically_normal().string();
}

TestDovecot::TestDovecot(DovecotOptions options) {
    std::string script = harness_script();
    if (access(script.c_str(), X_OK) != 0)
        throw std::runtime_error("TestDovecot: " + script + " is missing or not executable");

    std::string templ = temp_base() + "/mailferry-dovecot-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) throw_errno("mkdtemp " + templ);
    dir_ = buf.data();

    std::vector<std::string> args = {"start", dir_};
    if (!options.shape.empty()) {
        args.push_back("--shape");
        args.push_back(options.shape);
    }
    for (const auto& u : options.users) {
        args.push_back("--user");
        args.push_back(u);
        std::string format = "maildir";
        if (u.size() > 6 && u.compare(u.size() - 6, 6, ":mdbox") == 0) format = "mdbox";
        user_format_[u.substr(0, u.find(':'))] = format;
    }
    if (!options.compress) args.push_back("--no-compress");
    // If this process dies without running the destructor (abort, sanitizer
    // error, SIGKILL), a watchdog stops the server.
    args.push_back("--owner-pid");
    args.push_back(std::to_string(getpid()));

    try {
        run(args);
        running_ = true;
        auto env = read_env_file(dir_ + "/env");
        imap_port_ = require_int(env, "IMAP_PORT");
        imaps_port_ = require_int(env, "IMAPS_PORT");
        pop3_port_ = require_int(env, "POP3_PORT");
        pop3s_port_ = require_int(env, "POP3S_PORT");
        pid_ = require_int(env, "PID");
        ca_file_ = require(env, "CA_FILE");
        conf_ = require(env, "CONF");
        home_root_ = require(env, "HOME_ROOT");
    } catch (...) {
        try {
            stop();
        } catch (...) {
        }
        if (keep_dirs())
            std::fprintf(stderr, "TestDovecot: keeping %s\n", dir_.c_str());
        else
            remove_tree(dir_);
        throw;
    }
}

TestDovecot::~TestDovecot() {
    try {
        stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "TestDovecot: stop failed: %s\n", e.what());
    } catch (...) {
    }
    if (keep_dirs())
        std::fprintf(stderr, "TestDovecot: keeping %s\n", dir_.c_str());
    else
        remove_tree(dir_);
}

std::string TestDovecot::run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv;
    argv.reserve(args.size() + 1);
    argv.push_back(harness_script());
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = run_process(argv);
    if (r.status != 0) {
        std::string what = "dovecot-harness";
        if (!args.empty()) what += " " + args[0];
        what += " failed (exit status " + std::to_string(r.status) + ")";
        if (!r.err.empty()) what += ":\n" + r.err;
        throw std::runtime_error(what);
    }
    return r.out;
}

std::string TestDovecot::maildir_of(const std::string& user) const {
    auto it = user_format_.find(user);
    bool mdbox = it != user_format_.end() && it->second == "mdbox";
    return home_root_ + "/" + user + (mdbox ? "/mdbox" : "/Maildir");
}

void TestDovecot::load_maildir(const std::string& user, const std::string& src) const {
    run({"load-maildir", dir_, user, src});
}

void TestDovecot::load_files(const std::string& user, const std::string& folder,
                             const std::vector<std::string>& files) const {
    if (files.empty()) return;
    std::vector<std::string> args = {"load-files", dir_, user, folder};
    args.insert(args.end(), files.begin(), files.end());
    run(args);
}

void TestDovecot::load_mbox(const std::string& user, const std::string& folder, const std::string& mbox) const {
    run({"load-mbox", dir_, user, folder, mbox});
}

void TestDovecot::generate(const std::string& user, int n, int seed) const {
    run({"gen", dir_, user, std::to_string(n), "--seed", std::to_string(seed)});
}

std::string TestDovecot::status(const std::string& user) const {
    return run({"status", dir_, user});
}

void TestDovecot::stop() {
    if (!running_) return;
    running_ = false;
    run({"stop", dir_});
}

}  // namespace mailferry::test
