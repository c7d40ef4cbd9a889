#include "cli/options.hpp"

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

#include "mailferry/result.hpp"

namespace mailferry::cli {
namespace {

// prefix: "" for fetch and replay; "target-" for watch's target, beside its source's.
void add_connection_options(CLI::App* cmd, ConnectionArgs& c, const std::string& prefix = "") {
    auto name = [&prefix](const char* option) { return "--" + prefix + option; };
    cmd->add_flag(name("debug"), c.debug,
                  "trace the protocol on standard error: commands and replies, message contents by their size, "
                  "passwords and tokens as ***");
    cmd->add_option(name("password-file"), c.password_file,
                    "read the password from this file (first line); never give it on the command line")
        ->check(CLI::ExistingFile);
    cmd->add_option(name("password-env"), c.password_env,
                    "read the password from the environment variable with this NAME");
    cmd->add_option(name("ca-file"), c.ca_file, "trust this CA (PEM) instead of the system's store")
        ->check(CLI::ExistingFile);
    cmd->add_flag(name("insecure"), c.insecure, "do not verify the server's certificate (warned)");
    cmd->add_flag(name("allow-plaintext"), c.allow_plaintext,
                  "allow imap:// without STARTTLS: the password then travels unencrypted");
    cmd->add_flag(name("compress-wire"), c.compress_wire,
                  "use COMPRESS=DEFLATE when the server offers it (pays off on slow links)");
    cmd->add_option(name("timeout"), c.timeout_seconds, "network timeout in seconds")
        ->default_val(60)->check(CLI::Range(1, 3600));
    cmd->add_option(name("auth"), c.auth,
                    "password or xoauth2 (default: xoauth2 for Office 365 and Gmail hosts, else password)")
        ->check(CLI::IsMember({"password", "xoauth2"}));
    cmd->add_option(name("token-store"), c.token_store,
                    "the OAuth2 token store directory (default ~/.config/mailferry/tokens)");
    cmd->add_option(name("oauth-account"), c.oauth_account,
                    "use the token of this account (default: the URL's user; for a shared mailbox, the user with access)");
}

void add_output_options(CLI::App* cmd, OutputArgs& o) {
    cmd->add_flag("--json", o.json, "print a machine-readable summary on standard output");
    cmd->add_flag("--no-progress", o.no_progress, "no progress bar (there is none off a terminal anyway)");
}

void add_fetch_scope_options(CLI::App* cmd, FetchArgs& fetch) {
    cmd->add_option("--folder", fetch.include, "fetch only folders matching PATTERN ('*' and '%' as in IMAP); repeatable");
    cmd->add_option("--exclude", fetch.exclude, "skip folders matching PATTERN; repeatable");
    cmd->add_option("--connections", fetch.connections, "folders fetched in parallel, one connection each")
        ->default_val(2)->check(CLI::Range(1, 16));
    cmd->add_flag("--no-index", fetch.no_index,
                  "do not add the new messages to the full-text index now ('mailferry reindex' does it later)");
}

CLI::App* add_fetch_command(CLI::App& app, FetchArgs& fetch) {
    CLI::App* cmd = app.add_subcommand(
        "fetch", "Download every folder of a source mailbox into CACHE; a second run fetches only what is new");
    cmd->add_option("CACHE", fetch.cache, "the cache directory (created if missing)")->required();
    cmd->add_option("--from", fetch.source.url,
                    "the source: imaps://USER@HOST[:PORT], imap://... (STARTTLS), pop3s://USER@HOST[:PORT] "
                    "or pop3://... (STLS)")->required();
    add_connection_options(cmd, fetch.source);
    add_fetch_scope_options(cmd, fetch);
    cmd->add_flag("--delete-after-fetch", fetch.delete_after_fetch,
                  "POP3: delete from the server the messages now safe in the cache (never the others)");
    cmd->add_option("--max-message-size", fetch.max_message_mb,
                    "messages larger than this many MB are not fetched (an error each, the run goes on); "
                    "a server announcing more is cut off unread")
        ->default_val(200)->check(CLI::Range(1, 4096));
    add_output_options(cmd, fetch.output);
    return cmd;
}

CLI::App* add_import_command(CLI::App& app, ImportArgs& import) {
    CLI::App* cmd = app.add_subcommand(
        "import", "Import mbox files (plain or gzip, Google Takeout too), Maildir trees and message files (EML) "
                  "into CACHE; importing the same files again adds nothing");
    cmd->add_option("CACHE", import.cache, "the cache directory (created if missing)")->required();
    cmd->add_option("PATH", import.paths, "an mbox file, a Maildir, a directory of mbox or message files")
        ->required()->check(CLI::ExistingPath);
    cmd->add_option("--format", import.format, "what PATH holds (default: auto, from its contents)")
        ->default_val("auto")->check(CLI::IsMember({"auto", "mbox", "maildir", "eml"}));
    cmd->add_option("--folder", import.folder,
                    "the folder PATH becomes ('/' between levels); default: its file or directory name "
                    "(a Maildir: INBOX and its folders)");
    cmd->add_option("--mbox-variant", import.mbox_variant,
                    "how From_ lines in bodies were escaped: auto (mboxrd if a \">>From\" line is seen), "
                    "mboxrd (what mailferry export writes) or mboxo")
        ->default_val("auto")->check(CLI::IsMember({"auto", "mboxrd", "mboxo"}));
    cmd->add_flag("--no-index", import.no_index,
                  "do not add the new messages to the full-text index now ('mailferry reindex' does it later)");
    cmd->add_option("--labels-as-folders", import.labels_as_folders,
                    "Google Takeout (X-Gmail-Labels): 'first' puts a message in its first label's folder, "
                    "'copy' in every label's folder")
        ->default_val("first")->check(CLI::IsMember({"first", "copy"}));
    cmd->add_flag("--labels-in-any-file", import.labels_in_any_file,
                  "use X-Gmail-Labels as folders in mbox files that do not look like a Google Takeout export "
                  "(by default only Takeout's own files, known by their From_ lines, choose folders by label)");
    add_output_options(cmd, import.output);
    return cmd;
}

void add_replay_plan_options(CLI::App* cmd, ReplayArgs& replay) {
    cmd->add_option("--profile", replay.profile,
                    "target quirks: office365 or generic (default: office365 for outlook.office365.com)")
        ->check(CLI::IsMember({"office365", "generic"}));
    cmd->add_option("--folder-map", replay.folder_map_file,
                    "a file of 'source folder = target folder' lines; an explicit line wins over every rule")
        ->check(CLI::ExistingFile);
    cmd->add_option("--target-prefix", replay.target_prefix, "put every folder, INBOX included, below this one");
    cmd->add_flag("--propagate-deletes", replay.propagate_deletes,
                  "remove from the target what the source deleted since the fetch (only what this cache sent "
                  "there), and do not send it if not sent yet; the cache keeps every message");
}

CLI::App* add_replay_command(CLI::App& app, ReplayArgs& replay) {
    CLI::App* cmd = app.add_subcommand(
        "replay", "Upload CACHE into a target mailbox; a re-run sends only what is not there yet");
    cmd->add_option("CACHE", replay.cache, "the cache directory")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("--to", replay.target.url,
                    "the target: imaps://MAILBOX@HOST[:PORT], or imap://... (STARTTLS)")->required();
    add_connection_options(cmd, replay.target);
    add_replay_plan_options(cmd, replay);
    cmd->add_option("--connections", replay.connections, "parallel connections (default: the profile's)")
        ->check(CLI::Range(1, 16));
    cmd->add_option("--max-message-size", replay.max_message_size_mb,
                    "skip messages larger than this many MB (default: the profile's, 35 for office365)");
    cmd->add_option("--max-messages-per-second", replay.max_messages_per_second, "pace the upload");
    cmd->add_option("--max-bytes-per-second", replay.max_bytes_per_second, "pace the upload");
    cmd->add_flag("--dry-run", replay.dry_run,
                  "print the folder plan, counts, and what would be skipped or repaired; send nothing");
    cmd->add_flag("--disarm-read-receipts", replay.disarm_read_receipts,
                  "rename Disposition-Notification-To in what is sent (the cache keeps it)");
    cmd->add_option("--repair", replay.repairs,
                    "long-lines: re-encode only the MIME parts with lines the target refuses (in what is sent)")
        ->check(CLI::IsMember({"long-lines"}));
    add_output_options(cmd, replay.output);
    return cmd;
}

CLI::App* add_watch_command(CLI::App& app, WatchArgs& watch) {
    CLI::App* cmd = app.add_subcommand(
        "watch", "Keep CACHE up to date with a source mailbox until the cutover (IDLE, else polling), and with "
                 "--to carry each new message on to the target");
    cmd->add_option("CACHE", watch.fetch.cache, "the cache directory (created if missing)")->required();
    cmd->add_option("--from", watch.fetch.source.url,
                    "the source, as for fetch: imaps://USER@HOST[:PORT], imap://..., pop3s://..., pop3://...")
        ->required();
    add_connection_options(cmd, watch.fetch.source);
    add_fetch_scope_options(cmd, watch.fetch);
    cmd->add_option("--to", watch.replay.target.url,
                    "also replay into this target, as replay does: imaps://MAILBOX@HOST[:PORT], imap://...");
    add_connection_options(cmd, watch.replay.target, "target-");
    add_replay_plan_options(cmd, watch.replay);
    cmd->add_option("--until", watch.until,
                    "stop after a final pass over every folder at this time: YYYY-MM-DDTHH:MM[:SS]Z (UTC), or "
                    "+DURATION from now (+90m, +2h, +1d)");
    cmd->add_option("--poll-interval", watch.poll_interval,
                    "look at every folder at least this often (30s, 10m, 1h); new mail in INBOX wakes the "
                    "watch at once where the server has IDLE")
        ->default_val("10m");
    cmd->add_option("--idle-folder", watch.idle_folders,
                    "also wake at once on new mail in this folder: a name, or a special use such as '\\Sent' "
                    "(one more IDLE connection each; repeatable)");
    add_output_options(cmd, watch.fetch.output);
    return cmd;
}

CLI::App* add_status_command(CLI::App& app, StatusArgs& status) {
    CLI::App* cmd = app.add_subcommand(
        "status", "Show what CACHE holds: sources, folders, counts, last fetch, and each replay target's progress");
    cmd->add_option("CACHE", status.cache, "the cache directory")->required();
    cmd->add_flag("--failures", status.failures, "list every message a replay skipped or could not send, with why");
    add_output_options(cmd, status.output);
    return cmd;
}

CLI::App* add_verify_command(CLI::App& app, VerifyArgs& verify) {
    CLI::App* cmd = app.add_subcommand(
        "verify", "Re-hash every cached message against the index; find missing, changed and orphaned files "
                  "and tmp/ leftovers (exit 0 only for an intact cache)");
    cmd->add_option("CACHE", verify.cache, "the cache directory")->required();
    cmd->add_flag("--repair", verify.repair,
                  "first adopt orphaned message files and remove leftovers, as the next fetch would");
    cmd->add_option("--target", verify.target.url,
                    "instead, check on this replay target (imaps://MAILBOX@HOST) that every message the "
                    "ledger says is there is there");
    add_connection_options(cmd, verify.target);
    add_output_options(cmd, verify.output);
    return cmd;
}

CLI::App* add_manifest_command(CLI::App& app, ManifestArgs& manifest) {
    CLI::App* cmd = app.add_subcommand(
        "manifest", "The chain of custody: per message its source identity, folder, SHA-256, size, received "
                    "date, flags, and per replay target its state and target folder/UID");
    cmd->add_option("CACHE", manifest.cache, "the cache directory")->required();
    cmd->add_option("--target", manifest.target, "only this replay target (the URL given to replay)");
    cmd->add_option("--format", manifest.format, "csv (RFC 4180) or json")
        ->default_val("csv")->check(CLI::IsMember({"csv", "json"}));
    return cmd;
}

CLI::App* add_export_command(CLI::App& app, ExportArgs& exp) {
    CLI::App* cmd = app.add_subcommand(
        "export", "Write the cached mail into DEST as mbox files, a Maildir++ tree or EML files (gone messages included)");
    cmd->add_option("CACHE", exp.cache, "the cache directory")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("DEST", exp.dest, "the directory to write into (created 0700 if missing)")->required();
    cmd->add_option("--format", exp.format,
                    "mboxrd (default): one mbox file per folder; mboxo: the same with mboxo escaping; "
                    "maildir: a Maildir++ tree; eml: a directory per folder, a file per message")
        ->default_val("mboxrd")->check(CLI::IsMember({"mboxrd", "mboxo", "maildir", "eml"}));
    cmd->add_option("--folder", exp.include, "export only folders matching PATTERN ('*' and '%' as in IMAP); repeatable");
    cmd->add_option("--exclude", exp.exclude, "skip folders matching PATTERN; repeatable");
    cmd->add_flag("--force", exp.force, "replace files that already exist in DEST (without it, nothing is replaced)");
    add_output_options(cmd, exp.output);
    return cmd;
}

CLI::App* add_search_command(CLI::App& app, ReviewArgs& review) {
    CLI::App* cmd = app.add_subcommand(
        "search", "Search CACHE's full-text index (headers, decoded text, attachment names), offline");
    cmd->add_option("CACHE", review.cache, "the cache directory")->required();
    cmd->add_option("QUERY", review.query,
                    "FTS5 syntax: words, \"a phrase\", AND/OR/NOT, prefix*, column:word with columns subject, "
                    "sender, recipients, body, attachments");
    cmd->add_option("--folder", review.folder, "only folders matching PATTERN ('*' and '%')");
    cmd->add_option("--from", review.from, "only messages whose From contains this text");
    cmd->add_option("--since", review.since, "received on or after YYYY-MM-DD (UTC)");
    cmd->add_option("--before", review.before, "received before YYYY-MM-DD (UTC)");
    cmd->add_option("--limit", review.limit, "at most N hits")->default_val(50)->check(CLI::Range(1, 100000));
    cmd->add_option("--sort", review.sort, "newest (received date, the default), oldest, or relevance (FTS5 rank)")
        ->check(CLI::IsMember({"newest", "oldest", "relevance"}));
    add_output_options(cmd, review.output);
    return cmd;
}

CLI::App* add_show_command(CLI::App& app, ReviewArgs& review) {
    CLI::App* cmd = app.add_subcommand("show", "Show one cached message (its ID from search): readable text, "
                                               "headers, or its exact bytes");
    cmd->add_option("CACHE", review.cache, "the cache directory")->required();
    cmd->add_option("ID", review.id, "the message's id")->required();
    auto* raw = cmd->add_flag("--raw", review.raw, "the exact bytes as fetched");
    auto* headers = cmd->add_flag("--headers", review.headers, "the header section as fetched")->excludes(raw);
    auto* save = cmd->add_option("--save-attachments", review.save_attachments,
                                 "save the attachments as files in DIR (created 0700 if missing): names sanitised, "
                                 "made unique, nothing overwritten, nothing written outside DIR")
                     ->type_name("DIR")
                     ->excludes(raw)
                     ->excludes(headers);
    // show prints a message, not a summary: --json only describes the saved files.
    cmd->add_flag("--json", review.output.json, "with --save-attachments: the saved files as JSON")->needs(save);
    return cmd;
}

CLI::App* add_reindex_command(CLI::App& app, ReviewArgs& review) {
    CLI::App* cmd = app.add_subcommand("reindex", "Rebuild CACHE's full-text index from the message files");
    cmd->add_option("CACHE", review.cache, "the cache directory")->required();
    add_output_options(cmd, review.output);
    return cmd;
}

CLI::App* add_auth_login_command(CLI::App* auth, AuthArgs& a) {
    CLI::App* login = auth->add_subcommand(
        "login", "Sign in for ACCOUNT: device code (a user), or client credentials (an app, with --client-secret-file "
                 "or --client-cert); stores what later runs need to refresh the token");
    login->add_option("ACCOUNT", a.account, "the mailbox address")->required();
    login->add_option("--provider", a.provider, "microsoft, google or custom")
        ->default_val("microsoft")->check(CLI::IsMember({"microsoft", "google", "custom"}));
    login->add_option("--client-id", a.client_id, "the application (client) id of your app registration")->required();
    login->add_option("--tenant", a.tenant, "microsoft: tenant id or domain (default organizations)");
    login->add_option("--client-secret-file", a.client_secret_file,
                      "app-only sign-in (client credentials) with the secret in this file; "
                      "for google, the device client's secret")
        ->check(CLI::ExistingFile);
    login->add_option("--client-cert", a.client_cert_file,
                      "app-only sign-in with this certificate (PEM), signing a client assertion")
        ->check(CLI::ExistingFile);
    login->add_option("--client-key", a.client_key_file, "the certificate's private key (PEM; default: --client-cert's file)")
        ->check(CLI::ExistingFile);
    login->add_option("--device-code-url", a.device_code_url, "override the device authorization endpoint");
    login->add_option("--token-url", a.token_url, "override the token endpoint");
    login->add_option("--scope", a.scope, "override the scope");
    login->add_option("--ca-file", a.ca_file, "trust this CA (PEM) for the identity provider's HTTPS")
        ->check(CLI::ExistingFile);
    login->add_option("--timeout", a.timeout_seconds, "HTTP timeout in seconds")->default_val(60)->check(CLI::Range(1, 600));
    return login;
}

// auth login, status and logout: the leaf subcommands, which name the action.
std::vector<CLI::App*> add_auth_commands(CLI::App& app, AuthArgs& a) {
    CLI::App* auth = app.add_subcommand("auth", "Sign in with OAuth2 (Office 365, Gmail) and manage the stored tokens");
    auth->require_subcommand(1);
    CLI::App* login = add_auth_login_command(auth, a);
    CLI::App* status = auth->add_subcommand("status", "List the stored accounts with provider, flow and expiry (never a token)");
    status->add_option("ACCOUNT", a.account, "only this account");
    CLI::App* logout = auth->add_subcommand("logout", "Remove the stored tokens of ACCOUNT");
    logout->add_option("ACCOUNT", a.account, "the mailbox address")->required();
    const std::vector<CLI::App*> commands{login, status, logout};
    for (CLI::App* c : commands) {
        c->add_option("--token-store", a.token_store, "the token store directory (default ~/.config/mailferry/tokens)");
        c->add_flag("--json", a.output.json, "machine-readable output");
    }
    return commands;
}

// Every command's arguments; parsing fills those of the command given.
struct CommandArgs {
    FetchArgs fetch;
    ImportArgs import;
    ReplayArgs replay;
    WatchArgs watch;
    StatusArgs status;
    VerifyArgs verify;
    ManifestArgs manifest;
    ExportArgs exp;
    ReviewArgs review;  // search, show and reindex
    AuthArgs auth;
};

// A command as parsed: its subcommand (true once given) and how to run it.
struct Command {
    CLI::App* subcommand;
    std::function<int()> run;
};

// Declares every command on app, in the order --help lists them.
std::vector<Command> add_commands(CLI::App& app, CommandArgs& a) {
    std::vector<Command> commands{
        {add_fetch_command(app, a.fetch), [&a] { return run_fetch_command(a.fetch); }},
        {add_import_command(app, a.import), [&a] { return run_import_command(a.import); }},
        {add_replay_command(app, a.replay), [&a] { return run_replay_command(a.replay); }},
        {add_watch_command(app, a.watch), [&a] { return run_watch_command(a.watch); }},
        {add_status_command(app, a.status), [&a] { return run_status_command(a.status); }},
        {add_verify_command(app, a.verify), [&a] { return run_verify_command(a.verify); }},
        {add_manifest_command(app, a.manifest), [&a] { return run_manifest_command(a.manifest); }},
        {add_export_command(app, a.exp), [&a] { return run_export_command(a.exp); }},
        {add_search_command(app, a.review), [&a] { return run_search_command(a.review); }},
        {add_show_command(app, a.review), [&a] { return run_show_command(a.review); }},
        {add_reindex_command(app, a.review), [&a] { return run_reindex_command(a.review); }},
    };
    for (CLI::App* c : add_auth_commands(app, a.auth)) {
        commands.push_back({c, [&a, c] {
                                a.auth.action = c->get_name();
                                return run_auth_command(a.auth);
                            }});
    }
    return commands;
}

constexpr const char* kOverview =
    "mailferry: moves a mailbox into Office 365 in two stages, with a cache you own in between.\n"
    "  fetch   a source mailbox into the cache (a Maildir++ tree plus index.sqlite)\n"
    "  import  mbox files, Maildir trees and message files into the cache\n"
    "  replay  the cache into a target mailbox (Office 365 or any IMAP server)\n"
    "  watch   fetch (and replay) what is new, again and again, until the cutover\n"
    "  status  what a cache holds, and how far each replay got\n"
    "  verify  whether every cached message is intact\n"
    "  manifest  the chain of custody, per message and target (CSV or JSON)\n"
    "  search, show, reindex  offline review of a cache (full-text index)\n"
    "  export  the cache into mbox files, a Maildir++ tree or EML files\n"
    "  auth    OAuth2 sign-in (Office 365, Gmail) and the token store";

}  // namespace

int run_command_line(int argc, char** argv) {
    CLI::App app{kOverview};
    app.set_version_flag("--version", "mailferry " MAILFERRY_VERSION);
    app.require_subcommand(1);
    CommandArgs args;
    const std::vector<Command> commands = add_commands(app, args);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : exit_code_for(ErrorKind::usage);
    }
    for (const Command& c : commands) {
        if (*c.subcommand) return c.run();
    }
    return exit_code_for(ErrorKind::usage);
}

}  // namespace mailferry::cli
