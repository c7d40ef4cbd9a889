#include "cli/options.hpp"

#include <CLI/CLI.hpp>

#include "mailferry/result.hpp"

namespace mailferry::cli {
namespace {

void add_connection_options(CLI::App* cmd, ConnectionArgs& c) {
    cmd->add_option("--password-file", c.password_file,
                    "read the password from this file (first line); never give it on the command line")
        ->check(CLI::ExistingFile);
    cmd->add_option("--password-env", c.password_env,
                    "read the password from the environment variable with this NAME");
    cmd->add_option("--ca-file", c.ca_file, "trust this CA (PEM) instead of the system's store")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--insecure", c.insecure, "do not verify the server's certificate (warned)");
    cmd->add_flag("--allow-plaintext", c.allow_plaintext,
                  "allow imap:// without STARTTLS: the password then travels unencrypted");
    cmd->add_flag("--compress-wire", c.compress_wire,
                  "use COMPRESS=DEFLATE when the server offers it (pays off on slow links)");
    cmd->add_option("--timeout", c.timeout_seconds, "network timeout in seconds")
        ->default_val(60)->check(CLI::Range(1, 3600));
}

void add_output_options(CLI::App* cmd, OutputArgs& o) {
    cmd->add_flag("--json", o.json, "print a machine-readable summary on standard output");
    cmd->add_flag("--no-progress", o.no_progress, "no progress bar (there is none off a terminal anyway)");
}

}  // namespace

int run_command_line(int argc, char** argv) {
    CLI::App app{
        "mailferry: moves a mailbox into Office 365 in two stages, with a cache you own in between.\n"
        "  fetch   a source mailbox into the cache (a Maildir++ tree plus index.sqlite)\n"
        "  replay  the cache into a target mailbox (Office 365 or any IMAP server)\n"
        "  status  what a cache holds, and how far each replay got"};
    app.set_version_flag("--version", "mailferry " MAILFERRY_VERSION);
    app.require_subcommand(1);

    FetchArgs fetch;
    CLI::App* fetch_cmd = app.add_subcommand(
        "fetch", "Download every folder of a source mailbox into CACHE; a second run fetches only what is new");
    fetch_cmd->add_option("CACHE", fetch.cache, "the cache directory (created if missing)")->required();
    fetch_cmd->add_option("--from", fetch.source.url,
                          "the source: imaps://USER@HOST[:PORT], or imap://... (STARTTLS)")->required();
    add_connection_options(fetch_cmd, fetch.source);
    fetch_cmd->add_option("--folder", fetch.include, "fetch only folders matching PATTERN ('*' and '%' as in IMAP); repeatable");
    fetch_cmd->add_option("--exclude", fetch.exclude, "skip folders matching PATTERN; repeatable");
    fetch_cmd->add_option("--connections", fetch.connections, "folders fetched in parallel, one connection each")
        ->default_val(2)->check(CLI::Range(1, 16));
    add_output_options(fetch_cmd, fetch.output);

    ReplayArgs replay;
    CLI::App* replay_cmd = app.add_subcommand(
        "replay", "Upload CACHE into a target mailbox; a re-run sends only what is not there yet");
    replay_cmd->add_option("CACHE", replay.cache, "the cache directory")->required()->check(CLI::ExistingDirectory);
    replay_cmd->add_option("--to", replay.target.url,
                           "the target: imaps://MAILBOX@HOST[:PORT], or imap://... (STARTTLS)")->required();
    add_connection_options(replay_cmd, replay.target);
    replay_cmd->add_option("--profile", replay.profile,
                           "target quirks: office365 or generic (default: office365 for outlook.office365.com)")
        ->check(CLI::IsMember({"office365", "generic"}));
    replay_cmd->add_option("--folder-map", replay.folder_map_file,
                           "a file of 'source folder = target folder' lines; an explicit line wins over every rule")
        ->check(CLI::ExistingFile);
    replay_cmd->add_option("--target-prefix", replay.target_prefix, "put every folder, INBOX included, below this one");
    replay_cmd->add_option("--connections", replay.connections, "parallel connections (default: the profile's)")
        ->check(CLI::Range(1, 16));
    replay_cmd->add_option("--max-message-size", replay.max_message_size_mb,
                           "skip messages larger than this many MB (default: the profile's, 35 for office365)");
    replay_cmd->add_option("--max-messages-per-second", replay.max_messages_per_second, "pace the upload");
    replay_cmd->add_option("--max-bytes-per-second", replay.max_bytes_per_second, "pace the upload");
    replay_cmd->add_flag("--dry-run", replay.dry_run,
                         "print the folder plan, counts, and what would be skipped or repaired; send nothing");
    replay_cmd->add_flag("--disarm-read-receipts", replay.disarm_read_receipts,
                         "rename Disposition-Notification-To in what is sent (the cache keeps it)");
    replay_cmd->add_option("--repair", replay.repairs,
                           "long-lines: re-encode only the MIME parts with lines the target refuses (in what is sent)")
        ->check(CLI::IsMember({"long-lines"}));
    add_output_options(replay_cmd, replay.output);

    StatusArgs status;
    CLI::App* status_cmd = app.add_subcommand(
        "status", "Show what CACHE holds: sources, folders, counts, last fetch, and each replay target's progress");
    status_cmd->add_option("CACHE", status.cache, "the cache directory")->required();
    status_cmd->add_flag("--failures", status.failures, "list every message a replay skipped or could not send, with why");
    add_output_options(status_cmd, status.output);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : exit_code_for(ErrorKind::usage);
    }
    if (*fetch_cmd) return run_fetch_command(fetch);
    if (*replay_cmd) return run_replay_command(replay);
    if (*status_cmd) return run_status_command(status);
    return exit_code_for(ErrorKind::usage);
}

}  // namespace mailferry::cli
