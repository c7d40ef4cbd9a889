#include "pipeline/report_json.hpp"

#include "core/clock.hpp"

namespace mailferry::pipeline {

const char* const kVerifyProblemKinds[7] = {"missing", "changed", "bad_path", "orphan", "stale_link", "tmp", "foreign"};
const char* const kTargetProblemKinds[5] = {"missing", "different", "folder_missing", "uidvalidity_changed",
                                            "size_implausible"};

std::string json_text(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json to_json(const WatchReport& r) {
    auto time = [](int64_t t) { return t ? nlohmann::json(iso8601_utc(t)) : nlohmann::json(nullptr); };
    return {{"ended_by", r.ended_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.ended_by)},
            {"started_at", time(r.started_at)}, {"last_pass_at", time(r.last_pass_at)},
            {"last_new_mail", time(r.last_new_mail)}, {"passes", r.passes}, {"failed_passes", r.failed_passes},
            {"new_messages", r.new_messages}, {"appended", r.appended}, {"flags_refreshed", r.flags_refreshed},
            {"gone", r.gone}, {"deleted_on_target", r.deleted_on_target}, {"idle", r.idle},
            {"listener_reconnects", r.listener_reconnects},
            {"last_error", r.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.last_error)},
            {"error", r.fatal ? nlohmann::json(r.fatal->describe()) : nlohmann::json(nullptr)}};
}

nlohmann::json to_json(const FetchReport& r) {
    nlohmann::json folders = nlohmann::json::array();
    for (const auto& f : r.folders) {
        folders.push_back({{"name", f.name}, {"role", f.role}, {"new_messages", f.new_messages},
                           {"new_bytes", f.new_bytes}, {"flags_refreshed", f.flags_refreshed},
                           {"gone", f.gone}, {"rematched", f.rematched},
                           {"flags_read", f.flags_read.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.flags_read)},
                           {"uidvalidity_changed", f.uidvalidity_changed},
                           {"error", f.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.error)}});
    }
    return {{"command", "fetch"},
            {"ok", r.ok()},
            {"folders", folders},
            {"folders_fetched", r.folders.size()},
            {"new_messages", r.new_messages},
            {"new_bytes", r.new_bytes},
            {"flags_refreshed", r.flags_refreshed},
            {"gone", r.gone},
            {"rematched", r.rematched},
            {"cached_messages", r.cached_messages},
            {"recovered_files", r.recovered_adopted},
            {"deleted_from_source", r.deleted_from_source},
            {"text_indexed", r.text_indexed},
            {"text_unparsed", r.text_unparsed},
            {"errors", r.errors},
            {"warnings", r.warnings},
            {"fatal", r.fatal ? nlohmann::json(r.fatal->describe()) : nlohmann::json(nullptr)},
            {"interrupted", r.interrupted},
            {"seconds", r.seconds}};
}

nlohmann::json to_json(const ReplayReport& r) {
    nlohmann::json folders = nlohmann::json::array();
    for (const auto& f : r.folders)
        folders.push_back({{"source", f.source}, {"target", f.target}, {"rule", f.rule}, {"notes", f.notes},
                           {"to_send", f.to_send}, {"bytes_to_send", f.bytes_to_send}, {"appended", f.appended},
                           {"resolved", f.resolved}, {"skipped", f.skipped}, {"failed", f.failed},
                           {"error", f.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.error)}});
    auto list = [](const std::vector<SkippedMessage>& v) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& m : v) a.push_back({{"folder", m.folder}, {"message", m.subject}, {"reason", m.reason}});
        return a;
    };
    return {{"command", "replay"}, {"dry_run", r.dry_run},
            {"ok", r.ok()}, {"folders", folders}, {"appended", r.appended}, {"bytes", r.bytes},
            {"resolved_after_crash", r.resolved}, {"skipped", list(r.skipped)}, {"failed", list(r.failed)}, {"repaired", list(r.repaired)},
            {"preflight", r.warnings}, {"line_endings_repaired", r.line_endings_repaired},
            {"nul_removed", r.nul_removed}, {"receipts_disarmed", r.receipts_disarmed}, {"long_lines_repaired", r.long_lines_repaired},
            {"keywords_not_sent", r.keywords_not_sent}, {"mdnsent_not_sent", r.mdnsent_not_sent},
            {"flagged_stored", r.flagged_stored}, {"flags_carried", r.flags_carried},
            {"deleted_on_target", r.deleted_on_target}, {"gone_not_sent", r.gone_not_sent}, {"throttled", r.throttled}, {"reconnects", r.reconnects},
            {"fatal", r.fatal ? nlohmann::json(r.fatal->describe()) : nlohmann::json(nullptr)},
            {"seconds", r.seconds}};
}

nlohmann::json to_json(const ExportReport& r) {
    nlohmann::json folders = nlohmann::json::array();
    for (const auto& f : r.folders)
        folders.push_back({{"name", f.name}, {"path", f.path}, {"messages", f.messages}, {"bytes", f.bytes},
                           {"gone", f.gone}, {"newlines_added", f.newlines_added},
                           {"escaped_lines", f.escaped_lines}, {"replaced", f.replaced}, {"errors", f.errors}});
    return {{"command", "export"},
            {"ok", r.ok()},
            {"folders", folders},
            {"messages", r.messages},
            {"bytes", r.bytes},
            {"gone", r.gone},
            {"newlines_added", r.newlines_added},
            {"escaped_lines", r.escaped_lines},
            {"replaced", r.replaced},
            {"errors", r.errors},
            {"warnings", r.warnings},
            {"fatal", r.fatal ? nlohmann::json(r.fatal->describe()) : nlohmann::json(nullptr)},
            {"seconds", r.seconds}};
}

nlohmann::json to_json(const VerifyReport& r) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : r.problems)
        problems.push_back({{"kind", p.kind}, {"folder", p.folder}, {"path", p.path}, {"detail", p.detail}});
    nlohmann::json counts;
    for (const char* k : kVerifyProblemKinds) counts[k] = r.count(k);
    nlohmann::json j = {{"command", "verify"}, {"intact", r.intact()},
                        {"messages_checked", r.messages_checked}, {"bytes_checked", r.bytes_checked},
                        {"counts", counts},           {"problems", problems},     {"seconds", r.seconds}};
    if (r.repaired)
        j["repaired"] = {{"orphans_adopted", r.repaired->adopted}, {"tmp_removed", r.repaired->tmp_removed},
                         {"stale_links_removed", r.repaired->stale_links_removed}};
    return j;
}

nlohmann::json to_json(const TargetVerifyReport& r) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : r.problems)
        problems.push_back({{"kind", p.kind}, {"folder", p.message.folder}, {"subject", p.message.subject},
                            {"target_folder", p.message.target_folder}, {"target_uid", p.message.target_uid},
                            {"detail", p.detail}});
    nlohmann::json counts;
    for (const char* k : kTargetProblemKinds) counts[k] = r.count(k);
    return {{"command", "verify"}, {"ok", r.ok()}, {"checked", r.checked}, {"present", r.present},
            {"counts", counts}, {"problems", problems}, {"seconds", r.seconds}};
}

nlohmann::json to_json(const AttachmentsSaved& r) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : r.saved)
        list.push_back({{"file", s.file}, {"path", r.directory + "/" + s.file}, {"name", s.name},
                        {"content_type", s.content_type}, {"bytes", s.bytes}, {"decoded", s.decoded}});
    nlohmann::json j{{"directory", r.directory}, {"attachments", list}, {"saved", r.saved.size()},
                     {"bytes", r.bytes()}, {"complete", r.scan.parsed}};
    if (!r.scan.parsed) j["problem"] = r.scan.problem;
    if (r.failure) j["error"] = r.failure->describe();
    return j;
}

nlohmann::json to_json(const cache::TextIndexReport& r) {
    return {{"command", "reindex"}, {"indexed", r.indexed}, {"unparsed", r.unparsed}, {"unreadable", r.unreadable}};
}

nlohmann::json to_json(const std::vector<cache::SearchHit>& hits) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& h : hits)
        a.push_back({{"id", h.id}, {"date", iso8601_utc(h.received)}, {"folder", h.folder}, {"from", h.from},
                     {"subject", h.subject}, {"snippet", h.snippet}});
    return a;
}

}  // namespace mailferry::pipeline
