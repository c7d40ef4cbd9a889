// Internals shared by the test harness wrappers (TestDovecot,
// TestOAuthServer): running a script without a shell, temporary directories,
// the scripts' sourceable DIR/env files.  Not for tests.
//
// Depends only on the standard library and POSIX.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mailferry::test::detail {

struct RunResult {
    int status = -1;  // exit status, or 128 + signal
    std::string out;
    std::string err;
};

// Runs argv[0] (a path: no PATH search) with the given arguments, no shell,
// stdin from /dev/null, collecting stdout and stderr.
RunResult run_process(const std::vector<std::string>& argv);

// MAILFERRY_KEEP_TEST_DIRS set and not empty?
bool keep_dirs();

// rm -rf, opening read-only directories first; WHO names the caller in the
// message printed (to stderr) when that fails.
void remove_tree(const std::string& dir, const std::string& who);

// $TMPDIR if absolute and at most 40 characters (dovecot-harness wants a short
// DIR: unix socket paths are limited to 108 bytes), else /tmp.
std::string temp_base();

// A fresh directory (mkdtemp) temp_base() + "/" + PREFIX + "XXXXXX".
std::string make_temp_dir(const std::string& prefix);

// KEY=VALUE lines; a value in single quotes loses them.  WHO prefixes errors.
std::map<std::string, std::string> read_env_file(const std::string& path, const std::string& who);

// The value of KEY; throws std::runtime_error (prefixed WHO) if missing or empty.
const std::string& require(const std::map<std::string, std::string>& env, const std::string& key,
                           const std::string& who);
int require_int(const std::map<std::string, std::string>& env, const std::string& key, const std::string& who);

}  // namespace mailferry::test::detail
