// The replay folder plan (docs/architecture.md §6): which target folder each cached
// folder goes to, and why. Pure: no I/O, so every rule is unit-tested.
//
// Rules, in order: an explicit --folder-map line; INBOX to INBOX; the source's
// special-use role to the target folder with the same role (whatever its
// localised name); a well-known source name (Sent, Sent Messages, [Gmail]/Sent
// Mail, INBOX.Trash, Spam...) to the target's folder of that role; else the
// source name with the target's separator. Then: a target separator inside a
// level becomes '_', a reserved name (Outbox, Calendar...) gets " (migrated)",
// names that differ only in case get " (2)"; each such change is noted.
// --target-prefix puts everything, INBOX included, below one folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mailferry/result.hpp"
#include "net/target_profile.hpp"

namespace mailferry::pipeline {

struct PlanSource {
    int64_t id = 0;
    std::string name;  // UTF-8, levels joined by delimiter
    char delimiter = '/';
    std::string role;
};

struct PlanTarget {
    std::string name;  // UTF-8
    std::string role;
};

struct FolderMapLine {
    std::string source, target;  // UTF-8, '/' between levels
    int line = 0;
};

struct PlanOptions {
    const net::TargetProfile* profile = nullptr;
    char target_delimiter = '/';
    std::string target_prefix;  // UTF-8, '/' between levels; empty: none
    std::vector<FolderMapLine> folder_map;
};

struct PlannedFolder {
    int64_t source_id = 0;
    std::string source_name;
    std::string target_name;  // UTF-8, target delimiter between levels
    std::string rule;         // "folder map", "INBOX", "role \\Sent", "well-known name", "same name"
    std::vector<std::string> notes;  // visible renames, merges
    bool exists = false;      // already on the target
};

std::vector<PlannedFolder> plan_folders(const std::vector<PlanSource>& sources,
                                        const std::vector<PlanTarget>& targets, const PlanOptions& options);

// Parses a --folder-map file: "source = target" per line, '#' comments, blank
// lines ignored; names in UTF-8 with '/' between levels. The error names the line.
Result<std::vector<FolderMapLine>> parse_folder_map(const std::string& text, const std::string& file_name);

}  // namespace mailferry::pipeline
