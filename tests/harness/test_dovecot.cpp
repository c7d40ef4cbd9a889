#include "test_dovecot.hpp"

#include <cstdio>
#include <stdexcept>

#include <unistd.h>

#include "harness_util.hpp"

#ifndef MAILFERRY_HARNESS_DIR
#error "MAILFERRY_HARNESS_DIR must be defined (see tests/harness/CMakeLists.txt)"
#endif

namespace mailferry::test {
namespace {

using detail::keep_dirs;
using detail::RunResult;
using detail::run_process;

const char* const kWho = "TestDovecot";

void remove_tree(const std::string& dir) { detail::remove_tree(dir, kWho); }

const std::string& require(const std::map<std::string, std::string>& env, const std::string& key) {
    return detail::require(env, key, kWho);
}

int require_int(const std::map<std::string, std::string>& env, const std::string& key) {
    return detail::require_int(env, key, kWho);
}

}  // namespace

std::string harness_script() {
    return std::string(MAILFERRY_HARNESS_DIR) + "/dovecot-harness";
}

TestDovecot::TestDovecot(DovecotOptions options) {
    std::string script = harness_script();
    if (access(script.c_str(), X_OK) != 0)
        throw std::runtime_error("TestDovecot: " + script + " is missing or not executable");

    dir_ = detail::make_temp_dir("mailferry-dovecot-");

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
    if (!options.oauth2_dir.empty()) {
        args.push_back("--oauth2");
        args.push_back(options.oauth2_dir);
        args.push_back("--oauth2-mechanisms");
        args.push_back(options.oauth2_mechanisms);
    }
    // If this process dies without running the destructor (abort, sanitizer
    // error, SIGKILL), a watchdog stops the server.
    args.push_back("--owner-pid");
    args.push_back(std::to_string(getpid()));

    try {
        run(args);
        running_ = true;
        auto env = detail::read_env_file(dir_ + "/env", kWho);
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

void TestDovecot::deliver(const std::string& user, const std::string& file) const {
    run({"deliver", dir_, user, file});
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
