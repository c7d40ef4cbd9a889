// The command line: what each command takes. Parsed in options.cpp (the one
// file that knows CLI11); run by one file per command.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mailferry::cli {

struct ConnectionArgs {
    std::string url;
    std::string password_file;
    std::string password_env;
    std::string ca_file;
    bool insecure = false;
    bool allow_plaintext = false;
    bool compress_wire = false;
    int timeout_seconds = 60;
    std::string auth;          // "", "password" or "xoauth2" ("": by host)
    std::string token_store;   // "": TokenStore::default_dir()
    std::string oauth_account; // "": the URL's user
    bool debug = false;        // a protocol trace on standard error (wrap/protocol_trace.hpp)
};

struct OutputArgs {
    bool json = false;
    bool no_progress = false;
};

struct FetchArgs {
    std::string cache;
    ConnectionArgs source;
    std::vector<std::string> include, exclude;
    int connections = 2;
    bool delete_after_fetch = false;  // POP3 only
    bool no_index = false;
    uint64_t max_message_mb = 200;    // above Exchange Online's 150 MB
    OutputArgs output;
};

struct ImportArgs {
    std::string cache;
    std::vector<std::string> paths;
    std::string format = "auto";             // auto, mbox, maildir, eml
    std::string folder;                      // "" = from each path's name
    std::string labels_as_folders = "first"; // first, copy
    bool labels_in_any_file = false;          // X-Gmail-Labels outside a detected Takeout file too
    std::string mbox_variant = "auto";       // auto, mboxrd, mboxo
    bool no_index = false;
    OutputArgs output;
};

struct ReplayArgs {
    std::string cache;
    ConnectionArgs target;
    std::string profile;          // "" = from the host
    std::string folder_map_file;
    std::string target_prefix;
    int connections = 0;          // 0 = the profile's default
    double max_message_size_mb = 0;
    double max_messages_per_second = 0;
    double max_bytes_per_second = 0;
    bool dry_run = false;
    bool disarm_read_receipts = false;
    bool propagate_deletes = false;
    std::vector<std::string> repairs;  // "long-lines"
    OutputArgs output;
};

// watch: fetch's source and scope options, replay's target options (each
// connection option with "target-" in front), and when to stop.
struct WatchArgs {
    FetchArgs fetch;    // its cache is the watch's
    ReplayArgs replay;  // target.url "": no replay
    std::string until;  // "" = until stopped
    std::string poll_interval = "10m";
    std::vector<std::string> idle_folders;  // besides INBOX: names or special uses ("\\Sent")
};

struct StatusArgs {
    std::string cache;
    bool failures = false;
    OutputArgs output;
};

struct VerifyArgs {
    std::string cache;
    bool repair = false;
    ConnectionArgs target;  // url "": verify the cache itself
    OutputArgs output;
};

struct ManifestArgs {
    std::string cache;
    std::string target;  // a replay target URL; "" = every target
    std::string format = "csv";
};

struct ExportArgs {
    std::string cache;
    std::string dest;
    std::string format = "mboxrd";  // mboxrd, mboxo, maildir, eml
    std::vector<std::string> include, exclude;
    bool force = false;
    OutputArgs output;
};

// reindex, search, show: the review of a cache, offline.
struct ReviewArgs {
    std::string cache;
    std::string query;  // search: FTS5 syntax
    std::string folder, from, since, before;
    std::string sort = "newest";  // search: newest, oldest, relevance
    int limit = 50;
    int64_t id = 0;     // show
    bool raw = false, headers = false;
    std::string save_attachments;  // show: the directory, or empty
    OutputArgs output;
};

struct AuthArgs {
    std::string action;  // login, status, logout
    std::string account;
    std::string provider = "microsoft";
    std::string client_id;
    std::string tenant;
    std::string client_secret_file;
    std::string client_cert_file;
    std::string client_key_file;
    std::string device_code_url;
    std::string token_url;
    std::string scope;
    std::string token_store;
    std::string ca_file;  // for the identity provider's HTTPS
    int timeout_seconds = 60;
    OutputArgs output;
};

int run_auth_command(const AuthArgs& args);
int run_verify_command(const VerifyArgs& args);
int run_manifest_command(const ManifestArgs& args);
int run_reindex_command(const ReviewArgs& args);
int run_search_command(const ReviewArgs& args);
int run_show_command(const ReviewArgs& args);
int run_fetch_command(const FetchArgs& args);
int run_import_command(const ImportArgs& args);
int run_replay_command(const ReplayArgs& args);
int run_watch_command(const WatchArgs& args);
int run_status_command(const StatusArgs& args);
int run_export_command(const ExportArgs& args);

// Parses argv and runs the command; returns the process exit code.
int run_command_line(int argc, char** argv);

}  // namespace mailferry::cli
