// The engines' options from the command line, shared by the commands that
// run them: fetch and watch (FetchOptions), replay and watch (ReplayOptions).
#pragma once

#include "cli/options.hpp"
#include "net/imap/imap_connection.hpp"
#include "net/target_profile.hpp"
#include "pipeline/fetch.hpp"
#include "pipeline/replay.hpp"

namespace mailferry::cli {

pipeline::FetchOptions fetch_options(const FetchArgs& args, const net::ConnectOptions& connect);

// Opens the source as fetch does. POP3 messages get their UIDs from the
// cache, which opens only after the first connection (a wrong password must
// leave the cache untouched): set cache once it is open.
struct SourceOpener {
    const net::ConnectOptions& connect;
    const pipeline::FetchOptions& options;
    cache::Cache* cache = nullptr;
    Result<std::unique_ptr<MailSource>> open();
};

// Reads and checks the folder map too (--folder-map).
Result<pipeline::ReplayOptions> replay_options(const ReplayArgs& args, const net::ConnectOptions& connect,
                                               const net::TargetProfile* profile);

}  // namespace mailferry::cli
