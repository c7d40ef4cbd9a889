#include "formats/detect_format.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "formats/maildir/maildir_reader.hpp"
#include "formats/source_context.hpp"

namespace mailferry::formats {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxDepth = 32;

void files_below(const fs::path& dir, int depth, std::vector<fs::path>& out) {
    if (depth > kMaxDepth) return;
    std::error_code ec;
    std::vector<fs::path> subdirs;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().filename().string()[0] == '.') continue;
        if (it->is_symlink(ec) && it->is_directory(ec)) continue;
        if (it->is_directory(ec)) subdirs.push_back(it->path());
        else if (it->is_regular_file(ec)) out.push_back(it->path());
    }
    for (const auto& d : subdirs) files_below(d, depth + 1, out);
}

std::string own_name(const fs::path& p) {
    fs::path n = p.lexically_normal();
    if (n.filename().empty()) n = n.parent_path();  // "dir/"
    return n.filename().string();
}

}  // namespace

const char* format_name(Format f) {
    switch (f) {
    case Format::auto_detect: return "auto";
    case Format::mbox: return "mbox";
    case Format::maildir: return "maildir";
    case Format::eml: return "eml";
    }
    return "?";
}

SourceKind source_kind_of(Format f) {
    switch (f) {
    case Format::maildir: return SourceKind::maildir;
    case Format::eml: return SourceKind::eml;
    case Format::auto_detect:
    case Format::mbox: break;
    }
    return SourceKind::mbox;
}

bool looks_like_mbox(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    char head[8] = {};
    in.read(head, sizeof head);
    std::string_view h(head, static_cast<size_t>(in.gcount()));
    if (h.size() >= 2 && static_cast<unsigned char>(h[0]) == 0x1f && static_cast<unsigned char>(h[1]) == 0x8b)
        return true;
    if (h.substr(0, 3) == "\xEF\xBB\xBF") h.remove_prefix(3);
    return h.substr(0, 5) == "From ";
}

bool looks_like_maildir(const std::string& dir) { return maildir::is_maildir_tree(dir); }

std::string mbox_folder_name(const std::string& file_name) {
    fs::path p(file_name);
    if (p.extension() == ".gz") p = p.stem();
    std::string stem = p.stem().string();
    return stem.empty() ? p.string() : stem;
}

Result<std::vector<ImportUnit>> plan_import(const std::string& given, Format format, const std::string& folder) {
    std::error_code ec;
    fs::path path = fs::absolute(fs::path(given), ec).lexically_normal();
    if (ec || !fs::exists(path, ec))
        return make_error(ErrorKind::usage, Radius::fatal, given + ": no such file or directory");
    std::vector<ImportUnit> units;
    std::string abs = path.string();
    if (abs.size() > 1 && abs.back() == '/') abs.pop_back();

    if (fs::is_regular_file(path, ec)) {
        if (format == Format::maildir)
            return make_error(ErrorKind::usage, Radius::fatal, given + " is a file, not a Maildir directory");
        // An empty file is an mbox without messages (said so), not a message.
        if (format == Format::auto_detect)
            format = looks_like_mbox(abs) || fs::file_size(path, ec) == 0 ? Format::mbox : Format::eml;
        std::string f = folder;
        if (format == Format::mbox && f.empty()) f = mbox_folder_name(path.filename().string());
        units.push_back({format, abs, f});
        return units;
    }
    if (!fs::is_directory(path, ec))
        return make_error(ErrorKind::usage, Radius::fatal, given + " is neither a file nor a directory");

    std::vector<fs::path> files;
    if (format == Format::auto_detect) {
        if (looks_like_maildir(abs)) {
            format = Format::maildir;
        } else {
            files_below(path, 0, files);
            bool all_mbox = !files.empty() &&
                            std::all_of(files.begin(), files.end(), [](const fs::path& p) { return looks_like_mbox(p.string()); });
            format = all_mbox ? Format::mbox : Format::eml;
        }
    }
    if (format != Format::mbox) {
        units.push_back({format, abs, folder});
        return units;
    }
    if (files.empty()) files_below(path, 0, files);
    std::sort(files.begin(), files.end());
    std::string top = folder.empty() ? own_name(path) : folder;
    for (const auto& file : files) {
        fs::path rel = file.lexically_relative(path);
        std::string name = join_folder(top, join_folder(rel.parent_path().string(), mbox_folder_name(rel.filename().string())));
        units.push_back({Format::mbox, file.string(), name});
    }
    return units;
}

}  // namespace mailferry::formats
