// src/pipeline/folder_plan.hpp: the input is a --folder-map file. What parses
// is planned against a few cached and target folders (the map's own source
// names among them) for the office365 profile, with and without a prefix.
// Properties: parsed lines are non-empty, without control characters in the
// target, numbered in order; the plan has one entry per source folder, each
// with a target name.
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"
#include "pipeline/folder_plan.hpp"

namespace mailferry::fuzz {
namespace {

void check_plan(const std::vector<pipeline::PlanSource>& sources, const pipeline::PlanOptions& options) {
    const std::vector<pipeline::PlanTarget> targets = {
        {"Inbox", "\\Inbox"}, {"Sent Items", "\\Sent"}, {"Deleted Items", "\\Trash"}, {"Archive", "\\Archive"},
        {"Projects", ""}};
    auto plan = pipeline::plan_folders(sources, targets, options);
    MF_FUZZ_CHECK(plan.size() == sources.size());
    for (const auto& p : plan) MF_FUZZ_CHECK(!p.target_name.empty());
}

}  // namespace

void folder_map_one(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto map = pipeline::parse_folder_map(text, "fuzz.map");
    if (!map) return;
    int last_line = 0;
    std::vector<pipeline::PlanSource> sources = {
        {1, "INBOX", '/', ""}, {2, "Sent", '/', "\\Sent"}, {3, "Projects/2024", '/', ""}, {4, "trash", '/', ""}};
    for (const auto& line : *map) {
        MF_FUZZ_CHECK(!line.source.empty() && !line.target.empty());
        for (char c : line.target) MF_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20);
        MF_FUZZ_CHECK(line.line > last_line);
        last_line = line.line;
        sources.push_back({int64_t(sources.size()) + 1, line.source, '/', ""});
    }
    pipeline::PlanOptions options;
    options.profile = &net::office365_profile();
    options.folder_map = *map;
    check_plan(sources, options);
    options.target_prefix = "Migrated/Old";
    options.target_delimiter = '.';
    check_plan(sources, options);
}

}  // namespace mailferry::fuzz
