// Reading a file that holds a secret (a password, a client secret, an OAuth2
// token store entry): one place for the checks that make its contents worth
// trusting and keep them out of other users' reach (issue 13, item 7).
#pragma once

#include <string>

#include "mailferry/result.hpp"
#include "core/secret.hpp"

namespace mailferry::wrap {

// What a file readable by group or others means for this kind of secret.
enum class OthersMayRead {
    warn,    // a password file: it still works, the user is told to chmod it
    refuse,  // a token file we wrote 0600 ourselves: someone changed it
};

struct SecretFile {
    SecretString text;
    std::string warning;  // empty, or one line for the user
};

// Checks, on the open file (no gap between check and read): a regular file,
// owned by this user or by root (a secret mounted by root, as container
// platforms do), writable by no one else (whoever can write it chooses what we
// send, or where a token is refreshed). what names the file in errors
// ("the password file"). Errors are usage errors with radius fatal, naming the
// path and never the contents; the buffers read through are wiped.
Result<SecretFile> read_secret_file(const std::string& path, const std::string& what, OthersMayRead others);

// The same owner and mode checks on a file read by another library (a private
// key that OpenSSL opens itself).
Result<std::string> check_secret_file(const std::string& path, const std::string& what, OthersMayRead others);

}  // namespace mailferry::wrap
