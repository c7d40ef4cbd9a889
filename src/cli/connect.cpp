#include "cli/connect.hpp"

#include <iostream>

#include "cli/secrets.hpp"

namespace mailferry::cli {

Result<net::ConnectOptions> make_connect_options(const ConnectionArgs& args, Warnings& warnings) {
    auto url = net::parse_server_url(args.url);
    if (!url) return url.error();
    if (!url->is_imap())
        return make_error(ErrorKind::usage, Radius::fatal, "only IMAP servers (imaps://, imap://) are supported so far");
    auto password = obtain_password(args, url->user, url->server());
    if (!password) return password.error();
    net::ConnectOptions o;
    o.url = *url;
    o.password = std::move(*password);
    o.ca_file = args.ca_file;
    o.insecure = args.insecure;
    o.allow_plaintext = args.allow_plaintext;
    o.compress = args.compress_wire;
    o.timeout_seconds = args.timeout_seconds;
    o.warn = [&warnings](const std::string& line) { warnings(line); };
    return o;
}

int report_failure(const Error& e) {
    std::cerr << "mailferry: " << e.describe() << "\n";
    return exit_code_for(e.kind);
}

}  // namespace mailferry::cli
