// mailferry manifest CACHE [--target URL] --format csv|json: the chain of
// custody, one record per message and replay target, streamed to stdout.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cache/cache.hpp"
#include "cache/manifest.hpp"
#include "pipeline/report_json.hpp"
#include "cli/connect.hpp"
#include "cli/options.hpp"
#include "core/clock.hpp"
#include "net/source_url.hpp"

namespace mailferry::cli {
namespace {

const char* const columns[] = {"message_id", "source_kind", "source_server", "source_account", "folder",
                               "folder_raw", "uidvalidity", "uid", "source_key", "sha256", "size", "received",
                               "received_from", "flags", "header_message_id", "gone", "path", "target", "state",
                               "target_folder", "target_uidvalidity", "target_uid", "attempts", "last_server_text"};

// A cell a spreadsheet would run as a formula: a subject, folder or server
// text from mail beginning "=HYPERLINK(..." must stay text when an
// administrator opens the manifest. Numbers (a negative one) are left alone.
bool formula_like(const std::string& v) {
    if (v.empty() || std::string_view("=+-@\t\r").find(v[0]) == std::string_view::npos) return false;
    return v.find_first_not_of("+-0123456789.", 1) != std::string::npos || v.size() == 1;
}

// RFC 4180: quoted when it holds a comma, a quote or a line break; a
// formula-like cell is quoted with a leading ' (OWASP's CSV injection advice).
std::string csv_field(const std::string& raw) {
    const bool formula = formula_like(raw);
    const std::string v = formula ? "'" + raw : raw;
    if (!formula && v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string opt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : ""; }

std::vector<std::string> fields(const cache::ManifestRow& r) {
    return {std::to_string(r.message_id), r.source_kind, r.source_server, r.source_account, r.folder, r.folder_raw,
            std::to_string(r.uidvalidity), std::to_string(r.uid), r.source_key, r.sha256, std::to_string(r.size),
            iso8601_utc(r.received), r.received_from, r.flags, r.header_message_id, r.gone ? "1" : "0", r.path,
            r.target, r.state, r.target_folder, opt(r.target_uidvalidity), opt(r.target_uid),
            std::to_string(r.attempts), r.last_text};
}

nlohmann::json to_json(const cache::ManifestRow& r) {
    nlohmann::json j;
    auto f = fields(r);
    for (size_t i = 0; i < f.size(); ++i) j[columns[i]] = f[i];
    j["message_id"] = r.message_id;
    j["uidvalidity"] = r.uidvalidity;
    j["uid"] = r.uid;
    j["size"] = r.size;
    j["gone"] = r.gone;
    j["attempts"] = r.attempts;
    j["target_uidvalidity"] = r.target_uidvalidity ? nlohmann::json(*r.target_uidvalidity) : nlohmann::json(nullptr);
    j["target_uid"] = r.target_uid ? nlohmann::json(*r.target_uid) : nlohmann::json(nullptr);
    return j;
}

}  // namespace

int run_manifest_command(const ManifestArgs& args) {
    auto cache = cache::Cache::open(args.cache, cache::OpenMode::read_only);
    if (!cache) return report_failure(cache.error());
    std::optional<std::string> target;
    if (!args.target.empty()) {
        auto url = net::parse_server_url(args.target);
        if (!url) return report_failure(url.error());
        target = url->mailbox_key();
        auto known = cache::has_target(**cache, *target);
        if (!known) return report_failure(known.error());
        if (!*known)
            return report_failure(make_error(ErrorKind::not_found, Radius::fatal,
                                             "this cache was never replayed to " + *target + " (see mailferry status)"));
    }
    const bool csv = args.format == "csv";
    if (csv) {
        for (size_t i = 0; i < std::size(columns); ++i) std::cout << (i ? "," : "") << columns[i];
        std::cout << "\r\n";
    } else {
        std::cout << "[";
    }
    bool first = true;
    auto s = cache::for_each_manifest_row(**cache, target, [&](const cache::ManifestRow& r) {
        if (csv) {
            auto f = fields(r);
            for (size_t i = 0; i < f.size(); ++i) std::cout << (i ? "," : "") << csv_field(f[i]);
            std::cout << "\r\n";
        } else {
            std::cout << (first ? "\n" : ",\n") << pipeline::json_text(to_json(r));
        }
        first = false;
    });
    if (!csv) std::cout << "\n]\n";
    std::cout.flush();
    if (!s) return report_failure(s.error());
    return std::cout ? 0 : exit_code_for(ErrorKind::io);
}

}  // namespace mailferry::cli
