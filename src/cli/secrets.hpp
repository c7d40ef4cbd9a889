// Where a password comes from: a file, an environment variable, or a prompt
// on a terminal. Never argv (docs/architecture.md §8). Nothing here logs the secret.
#pragma once

#include <string>

#include "cli/options.hpp"
#include "mailferry/result.hpp"
#include "core/secret.hpp"

namespace mailferry::cli {

// The password for account@server, or a usage error saying how to give one.
Result<SecretString> obtain_password(const ConnectionArgs& args, const std::string& account,
                                    const std::string& server);

}  // namespace mailferry::cli
