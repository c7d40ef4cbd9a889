#include "hostile_server.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_util.hpp"

#ifndef MAILFERRY_HARNESS_DIR
#error "MAILFERRY_HARNESS_DIR must be defined (see tests/harness/CMakeLists.txt)"
#endif

extern char** environ;

namespace mailferry::test {
namespace {

const char* const kWho = "HostileServer";

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& output) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error(std::string(kWho) + ": cannot start " + argv[0]);
    return pid;
}

// Waits up to `seconds` for pid; true when it has ended (and is reaped).
bool reaped_within(pid_t pid, double seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        pid_t r = waitpid(pid, nullptr, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void stop(pid_t pid) {
    kill(pid, SIGTERM);
    if (reaped_within(pid, 5)) return;
    kill(pid, SIGKILL);
    (void)reaped_within(pid, 5);
}

}  // namespace

std::string hostile_server_script() { return std::string(MAILFERRY_HARNESS_DIR) + "/hostile_server/hostile-server"; }

HostileServer::HostileServer(const std::string& script, int max_seconds, const std::string& certificate) {
    dir_ = detail::make_temp_dir("mailferry-hostile-");
    auto certs = detail::run_process({std::string(MAILFERRY_HARNESS_DIR) + "/make-test-certs", dir_ + "/certs"});
    if (certs.status != 0) throw std::runtime_error(std::string(kWho) + ": make-test-certs failed: " + certs.err);
    ca_file_ = dir_ + "/certs/ca.pem";
    const std::string leaf = dir_ + "/certs/" + certificate;
    pid_ = spawn({hostile_server_script(), "--script", script, "--cert", leaf + "/cert.pem", "--key",
                  leaf + "/key.pem", "--port-file", dir_ + "/port", "--log", dir_ + "/events",
                  "--max-seconds", std::to_string(max_seconds), "--owner-pid", std::to_string(getpid())},
                 dir_ + "/server.out");
    // The port file appears once the server listens (renamed into place, never half-written).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(dir_ + "/port");
        if (!(in >> port_)) std::this_thread::sleep_for(std::chrono::milliseconds(25));
        if (port_ == 0 && reaped_within(pid_, 0)) {
            pid_ = -1;
            break;
        }
    }
    if (port_ == 0) {
        std::string output = slurp(dir_ + "/server.out");
        if (pid_ > 0) stop(pid_);
        pid_ = -1;
        detail::remove_tree(dir_, kWho);
        throw std::runtime_error(std::string(kWho) + ": " + script + " did not start: " + output);
    }
}

HostileServer::~HostileServer() {
    if (pid_ > 0) stop(pid_);
    if (!detail::keep_dirs()) detail::remove_tree(dir_, kWho);
}

std::vector<std::string> HostileServer::log_lines() const {
    std::vector<std::string> lines;
    std::ifstream in(dir_ + "/events");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace mailferry::test
