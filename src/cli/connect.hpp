// From the command line's connection options to a net::ConnectOptions, for
// fetch and replay alike: parses the URL, obtains the password.
#pragma once

#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "mailferry/result.hpp"
#include "net/imap/imap_connection.hpp"

namespace mailferry::cli {

// warnings must outlive the returned options (they print through it).
Result<net::ConnectOptions> make_connect_options(const ConnectionArgs& args, Warnings& warnings);

// For summaries: how the run authenticated ("password", "xoauth2") and how
// often it renewed its access token.
std::string auth_name(const net::ConnectOptions& o);
int token_refreshes(const net::ConnectOptions& o);

// Prints "mailferry: <error>" and returns the exit code for it.
int report_failure(const Error& e);

}  // namespace mailferry::cli
