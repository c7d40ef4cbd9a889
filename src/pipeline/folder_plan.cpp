#include "pipeline/folder_plan.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/ascii.hpp"

namespace mailferry::pipeline {
namespace {

using ascii::lower;

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r");
    size_t e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char delim) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t pos = delim ? s.find(delim, start) : std::string::npos;
        out.push_back(s.substr(start, pos - start));
        if (pos == std::string::npos) return out;
        start = pos + 1;
    }
}

bool is_inbox(const std::string& name) { return lower(name) == "inbox"; }

// Source names that mean a role when the source did not say so (docs/office365.md, "Folders").
std::string well_known_role(const PlanSource& s) {
    static const std::map<std::string, std::string> names = {
        {"sent", "\\Sent"}, {"sent messages", "\\Sent"}, {"sent items", "\\Sent"}, {"sent mail", "\\Sent"},
        {"[gmail]/sent mail", "\\Sent"}, {"inbox.sent", "\\Sent"}, {"inbox/sent", "\\Sent"},
        {"trash", "\\Trash"}, {"deleted messages", "\\Trash"}, {"deleted items", "\\Trash"},
        {"[gmail]/trash", "\\Trash"}, {"inbox.trash", "\\Trash"}, {"inbox/trash", "\\Trash"}, {"bin", "\\Trash"},
        {"junk", "\\Junk"}, {"spam", "\\Junk"}, {"junk e-mail", "\\Junk"}, {"junk email", "\\Junk"},
        {"[gmail]/spam", "\\Junk"}, {"inbox.junk", "\\Junk"}, {"inbox.spam", "\\Junk"}, {"inbox/junk", "\\Junk"},
        {"drafts", "\\Drafts"}, {"[gmail]/drafts", "\\Drafts"}, {"inbox.drafts", "\\Drafts"}, {"inbox/drafts", "\\Drafts"},
        {"archive", "\\Archive"}, {"archives", "\\Archive"}, {"inbox.archive", "\\Archive"}, {"inbox/archive", "\\Archive"},
    };
    std::string full = lower(s.name);
    if (s.delimiter && s.delimiter != '/') std::replace(full.begin(), full.end(), s.delimiter, '/');
    auto it = names.find(full);
    return it == names.end() ? "" : it->second;
}

const PlanTarget* target_with_role(const std::vector<PlanTarget>& targets, const std::string& role) {
    if (role.empty()) return nullptr;
    for (const auto& t : targets)
        if (t.role == role) return &t;
    return nullptr;
}

// Source levels joined with the target's delimiter; a delimiter inside a level becomes '_'.
std::string rebuild_name(const std::vector<std::string>& levels, char target_delim, PlannedFolder& p) {
    std::string out;
    for (auto level : levels) {
        if (target_delim && level.find(target_delim) != std::string::npos) {
            std::replace(level.begin(), level.end(), target_delim, '_');
            p.notes.push_back(std::string("'") + target_delim + "' inside a folder name became '_'");
        }
        if (!out.empty()) out += target_delim;
        out += level;
    }
    return out;
}

void apply_map_or_rules(const PlanSource& s, const std::vector<PlanTarget>& targets, const PlanOptions& o,
                        PlannedFolder& p) {
    for (const auto& line : o.folder_map) {
        std::string wanted = s.name;
        if (s.delimiter && s.delimiter != '/') std::replace(wanted.begin(), wanted.end(), s.delimiter, '/');
        if (line.source == wanted || line.source == s.name) {
            p.rule = "folder map";
            p.target_name = rebuild_name(split(line.target, '/'), o.target_delimiter, p);
            return;
        }
    }
    if (!o.target_prefix.empty()) {  // everything below the prefix, by name
        p.rule = "same name";
        p.target_name = rebuild_name(split(s.name, s.delimiter), o.target_delimiter, p);
        return;
    }
    if (is_inbox(s.name)) {
        p.rule = "INBOX";
        p.target_name = "INBOX";
        return;
    }
    if (const PlanTarget* t = target_with_role(targets, s.role)) {
        p.rule = "role " + s.role;
        p.target_name = t->name;
        return;
    }
    std::string known = well_known_role(s);
    if (const PlanTarget* t = target_with_role(targets, known)) {
        p.rule = "well-known name (" + known + ")";
        p.target_name = t->name;
        return;
    }
    p.rule = "same name";
    p.target_name = rebuild_name(split(s.name, s.delimiter), o.target_delimiter, p);
}

void guard_reserved(const PlanOptions& o, PlannedFolder& p) {
    if (!o.profile) return;
    auto levels = split(p.target_name, o.target_delimiter);
    if (o.profile->is_reserved(levels.front())) {
        p.notes.push_back("'" + levels.front() + "' is reserved on the target: written as '" + levels.front() +
                          " (migrated)'");
        levels.front() += " (migrated)";
        std::string joined;
        for (const auto& l : levels) joined += (joined.empty() ? "" : std::string(1, o.target_delimiter)) + l;
        p.target_name = joined;
    }
}

}  // namespace

std::vector<PlannedFolder> plan_folders(const std::vector<PlanSource>& sources, const std::vector<PlanTarget>& targets,
                                        const PlanOptions& o) {
    std::vector<PlannedFolder> plan;
    // Lower-cased target name -> the exact name first planned for it.
    std::map<std::string, std::string> taken;
    for (const auto& t : targets) taken.emplace(lower(t.name), t.name);
    std::map<std::string, int64_t> first_source_of;
    for (const auto& s : sources) {
        PlannedFolder p;
        p.source_id = s.id;
        p.source_name = s.name;
        apply_map_or_rules(s, targets, o, p);
        if (!o.target_prefix.empty())
            p.target_name = rebuild_name(split(o.target_prefix, '/'), o.target_delimiter, p) + o.target_delimiter +
                            p.target_name;
        guard_reserved(o, p);
        // Folder names are case-insensitive on Exchange: "trash" and "Trash" are one folder.
        std::string key = lower(p.target_name);
        if (auto it = taken.find(key); it != taken.end() && it->second != p.target_name) {
            p.notes.push_back("'" + p.target_name + "' differs from '" + it->second +
                              "' only in case: written as '" + p.target_name + " (2)'");
            p.target_name += " (2)";
            key = lower(p.target_name);
        }
        if (auto it = first_source_of.find(key); it != first_source_of.end())
            p.notes.push_back("merged with another source folder into '" + p.target_name + "'");
        first_source_of.emplace(key, s.id);
        taken.emplace(key, p.target_name);
        for (const auto& t : targets)
            if (t.name == p.target_name) p.exists = true;
        plan.push_back(std::move(p));
    }
    return plan;
}

Result<std::vector<FolderMapLine>> parse_folder_map(const std::string& text, const std::string& file_name) {
    std::vector<FolderMapLine> out;
    int n = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t eol = text.find('\n', pos);
        std::string line = text.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
        pos = eol == std::string::npos ? text.size() + 1 : eol + 1;
        ++n;
        std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        size_t eq = t.find('=');
        std::string src = eq == std::string::npos ? "" : trim(t.substr(0, eq));
        std::string dst = eq == std::string::npos ? "" : trim(t.substr(eq + 1));
        if (src.empty() || dst.empty())
            return make_error(ErrorKind::usage, Radius::fatal,
                              file_name + ":" + std::to_string(n) + ": expected 'source folder = target folder'");
        for (char c : dst)
            if (static_cast<unsigned char>(c) < 0x20)
                return make_error(ErrorKind::usage, Radius::fatal,
                                  file_name + ":" + std::to_string(n) + ": control character in the target name");
        // "a//b", "/a", "a/" or "/": an empty level has no name on any server,
        // and "/" alone planned a folder called "" (fuzzer).
        for (const auto& level : split(dst, '/'))
            if (trim(level).empty())
                return make_error(ErrorKind::usage, Radius::fatal,
                                  file_name + ":" + std::to_string(n) + ": empty level in the target name");
        out.push_back({src, dst, n});
    }
    return out;
}

}  // namespace mailferry::pipeline
