// mailferry status CACHE: what a cache holds.
#include <signal.h>

#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cache/cache.hpp"
#include "cache/ledger.hpp"
#include "pipeline/report_json.hpp"
#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "core/clock.hpp"
#include "core/utf8.hpp"

namespace mailferry::cli {
namespace {

int fail(const Error& e) {
    std::cerr << "mailferry: " << e.describe() << "\n";
    return exit_code_for(e.kind);
}

nlohmann::json counts_json(const cache::LedgerCounts& c) {
    return {{"done", c.done}, {"pending", c.pending}, {"skipped", c.skipped}, {"failed", c.failed},
            {"not_started", c.not_started}};
}

// Per replay target: how far it got; with --failures, every message it could not send.
int print_targets(cache::Cache& c, bool failures, nlohmann::json* json) {
    auto targets = cache::target_summaries(c);
    if (!targets) return fail(targets.error());
    if (json) (*json)["targets"] = nlohmann::json::array();
    for (const auto& t : *targets) {
        nlohmann::json jt{{"url", t.url}, {"profile", t.profile}, {"ledger", counts_json(t.counts)}};
        if (!json)
            std::cout << "target " << t.url << " (" << t.profile << "): " << t.counts.done << " done, "
                      << t.counts.pending << " pending, " << t.counts.skipped << " skipped, " << t.counts.failed
                      << " failed, " << t.counts.not_started << " not started\n";
        if (failures) {
            auto ledger = cache::Ledger::for_target_read_only(c, t.url);
            if (!ledger) return fail(ledger.error());
            auto list = ledger->failures();
            if (!list) return fail(list.error());
            jt["failures"] = nlohmann::json::array();
            for (const auto& f : *list) {
                jt["failures"].push_back({{"folder", f.folder}, {"subject", f.subject}, {"state", cache::ledger_state_name(f.state)},
                                          {"reason", f.text}, {"attempts", f.attempts}, {"message", f.message_id}});
                if (!json)
                    std::cout << "  " << cache::ledger_state_name(f.state) << ": " << f.folder << ", message " << f.message_id << " \""
                              << f.subject << "\": " << (f.text.empty() ? "(no reply recorded)" : f.text) << "\n";
            }
        }
        if (json) (*json)["targets"].push_back(jt);
    }
    return 0;
}

std::string when(const std::optional<int64_t>& t) { return t ? iso8601_utc(*t) : "never"; }

// The last watch on this cache, as its runs row tells (pipeline/watch.hpp):
// running while its process lives; a row still 'running' whose process is
// gone was a watch killed without a word.
Result<nlohmann::json> watch_state(cache::Cache& c) {
    auto run = c.last_run("watch");
    if (!run) return run.error();
    if (!*run) return nlohmann::json(nullptr);
    nlohmann::json j = nlohmann::json::parse((*run)->summary, nullptr, false);
    if (j.is_discarded() || !j.is_object()) j = nlohmann::json::object();
    const int64_t pid = j.value("pid", int64_t{0});
    std::string state = (*run)->status;
    if (state == "running") state = pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0 ? "running" : "killed";
    j["state"] = state;
    j["since"] = iso8601_utc((*run)->started_at);
    if ((*run)->ended_at) j["ended_at"] = iso8601_utc(*(*run)->ended_at);
    return j;
}

void print_watch(const nlohmann::json& w) {
    auto text = [&w](const char* key) {
        return w.contains(key) && w[key].is_string() ? w[key].get<std::string>() : std::string("never");
    };
    std::cout << "watch: " << w["state"].get<std::string>() << " since " << text("since");
    if (w.contains("ended_at")) std::cout << ", ended " << text("ended_at");
    std::cout << "\n  last pass " << text("last_pass_at") << ", last new mail " << text("last_new_mail") << ", "
              << w.value("passes", 0) << " passes, " << w.value("new_messages", 0) << " new, "
              << w.value("appended", 0) << " sent to the target\n";
    if (w.contains("last_error") && w["last_error"].is_string())
        std::cout << "  last error: " << visible_text(w["last_error"].get<std::string>()) << "\n";
    std::cout << "\n";
}

}  // namespace

int run_status_command(const StatusArgs& args) {
    auto cache = cache::Cache::open(args.cache, cache::OpenMode::read_only);
    if (!cache) return fail(cache.error());
    auto& c = **cache;
    auto version = c.info("format_version");
    auto created_by = c.info("created_by");
    auto sources = c.sources();
    auto folders = c.folder_summaries();
    if (!version) return fail(version.error());
    if (!sources) return fail(sources.error());
    if (!folders) return fail(folders.error());

    int64_t total_messages = 0, total_bytes = 0;
    for (const auto& f : *folders) {
        total_messages += f.messages;
        total_bytes += f.bytes;
    }
    if (args.output.json) {
        nlohmann::json j{{"cache", args.cache},
                         {"format_version", std::stoi(*version)},
                         {"created_by", created_by ? *created_by : ""},
                         {"messages", total_messages},
                         {"bytes", total_bytes}};
        j["sources"] = nlohmann::json::array();
        for (const auto& s : *sources)
            j["sources"].push_back({{"id", s.id}, {"kind", source_kind_name(s.kind)}, {"server", s.server}, {"account", s.account},
                                    {"last_fetch", s.last_fetch ? nlohmann::json(iso8601_utc(*s.last_fetch)) : nlohmann::json(nullptr)}});
        j["folders"] = nlohmann::json::array();
        for (const auto& f : *folders)
            j["folders"].push_back({{"source_id", f.folder.source_id}, {"name", f.folder.info.name},
                                    {"raw_name", f.folder.info.raw_name}, {"role", f.folder.info.role},
                                    {"selectable", f.folder.info.selectable}, {"messages", f.messages},
                                    {"bytes", f.bytes}, {"gone", f.gone}, {"on_source", f.folder.on_source},
                                    {"uidvalidity", f.folder.uidvalidity}, {"maildir", "mail/" + f.folder.maildir},
                                    {"last_fetch", f.folder.last_fetch ? nlohmann::json(iso8601_utc(*f.folder.last_fetch)) : nlohmann::json(nullptr)}});
        auto watch = watch_state(c);
        if (!watch) return fail(watch.error());
        j["watch"] = *watch;
        if (int rc = print_targets(c, args.failures, &j)) return rc;
        std::cout << pipeline::json_text(j, 2) << "\n";
        return 0;
    }
    std::cout << "cache " << args.cache << " (format v" << *version << ", made by "
              << (created_by ? *created_by : "?") << ")\n";
    for (const auto& s : *sources) {
        // Imported files have no account: their server is the file's path.
        std::string who = s.account.empty() ? s.server : s.account + "@" + s.server;
        std::cout << "source " << s.id << ": " << source_kind_name(s.kind) << " " << who << ", last fetch " << when(s.last_fetch) << "\n";
    }
    std::cout << "\n  " << std::left << std::setw(40) << "folder" << std::setw(10) << "role"
              << std::right << std::setw(9) << "messages" << std::setw(12) << "size" << "  last fetch\n";
    for (const auto& f : *folders) {
        if (!f.folder.info.selectable && f.messages == 0) continue;
        std::string name = f.folder.info.name + (f.folder.on_source ? "" : " (gone from source)");
        std::cout << "  " << std::left << std::setw(40) << name << std::setw(10) << f.folder.info.role
                  << std::right << std::setw(9) << f.messages << std::setw(12) << human_bytes(static_cast<uint64_t>(f.bytes))
                  << "  " << when(f.folder.last_fetch) << "\n";
    }
    std::cout << "\n  total: " << total_messages << " messages, " << human_bytes(static_cast<uint64_t>(total_bytes)) << "\n\n";
    auto watch = watch_state(c);
    if (!watch) return fail(watch.error());
    if (!watch->is_null()) print_watch(*watch);
    return print_targets(c, args.failures, nullptr);
}

}  // namespace mailferry::cli
