#include "formats/maildir/maildir_reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/maildir/dovecot_keywords.hpp"
#include "formats/maildir/maildir_naming.hpp"

namespace mailferry::maildir {
namespace fs = std::filesystem;

namespace {

// Deeper trees are almost certainly a loop or not mail.
constexpr int kMaxDepth = 32;

bool is_dir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

bool has_info_suffix(const std::string& name) {
    return name.find(":2,") != std::string::npos || name.find("!2,") != std::string::npos;
}

bool holds_loose_messages(const fs::path& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name[0] != '.' && has_info_suffix(name) && it->is_regular_file(ec)) return true;
    }
    return false;
}

bool is_mail_dir(const fs::path& dir) {
    return is_dir(dir / "cur") || is_dir(dir / "new") || holds_loose_messages(dir);
}

bool is_maildirpp_folder(const fs::path& dir) {
    std::error_code ec;
    return is_dir(dir / "cur") || is_dir(dir / "new") || fs::is_regular_file(dir / "maildirfolder", ec);
}

// The ".A.B" folders of a Maildir++ root, below the given levels.
void add_maildirpp(const fs::path& root, const std::vector<std::string>& parent, std::vector<MaildirFolderInfo>& out) {
    std::error_code ec;
    std::vector<std::pair<std::string, fs::path>> found;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.size() < 2 || name[0] != '.' || name == "..") continue;
        if (it->is_symlink(ec) || !it->is_directory(ec) || !is_maildirpp_folder(it->path())) continue;
        found.emplace_back(name, it->path());
    }
    std::sort(found.begin(), found.end());
    for (const auto& [name, path] : found) {
        auto levels = directory_levels(name);
        if (!levels) continue;
        std::vector<std::string> all = parent;
        all.insert(all.end(), levels->begin(), levels->end());
        out.push_back({std::move(all), path.string()});
    }
}

void add_fs_layout(const fs::path& dir, std::vector<std::string>& levels, int depth,
                   std::vector<MaildirFolderInfo>& out) {
    if (depth > kMaxDepth) return;
    std::vector<fs::path> subdirs;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name[0] == '.' || name == "cur" || name == "new" || name == "tmp") continue;
        if (it->is_symlink(ec) || !it->is_directory(ec)) continue;
        subdirs.push_back(it->path());
    }
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& sub : subdirs) {
        levels.push_back(level_from_fs_name(sub.filename().string()));
        if (is_mail_dir(sub)) out.push_back({levels, sub.string()});
        add_maildirpp(sub, levels, out);
        add_fs_layout(sub, levels, depth + 1, out);
        levels.pop_back();
    }
}

// Every non-hidden file below dir lies in a folder directory; found: one was seen.
bool files_in_folders(const fs::path& dir, int depth, bool& found) {
    if (depth > kMaxDepth) return false;
    bool folder = is_mail_dir(dir);
    found |= folder;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name[0] == '.') continue;
        if (it->is_symlink(ec) && it->is_directory(ec)) continue;
        if (it->is_directory(ec)) {
            if (folder && (name == "cur" || name == "new" || name == "tmp")) continue;
            if (!files_in_folders(it->path(), depth + 1, found)) return false;
        } else if (!folder) {
            return false;
        }
    }
    return true;
}

void add_files(const fs::path& dir, bool loose, std::map<std::string, MaildirFile>& by_key,
               std::vector<std::string>& warnings) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name[0] == '.' || (loose && !has_info_suffix(name))) continue;
        struct stat st;
        if (::stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        ParsedFileName parsed = parse_file_name(name);
        MaildirFile f{parsed.base, it->path().string(), parsed.letters, static_cast<uint64_t>(st.st_size),
                      static_cast<int64_t>(st.st_mtime)};
        auto [pos, fresh] = by_key.emplace(f.key, f);
        if (!fresh) warnings.push_back(f.path + ": the same message name as " + pos->second.path + ": taken once");
    }
}

}  // namespace

bool is_maildir_folder(const std::string& dir) { return is_mail_dir(dir); }

bool is_maildir_tree(const std::string& dir) {
    std::vector<MaildirFolderInfo> plusplus;
    add_maildirpp(dir, {}, plusplus);
    if (is_mail_dir(dir) || !plusplus.empty()) return true;
    bool found = false;
    return files_in_folders(dir, 0, found) && found;
}

Result<std::vector<MaildirFolderInfo>> list_maildir_folders(const std::string& root_path) {
    fs::path root(root_path);
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        return make_error(ErrorKind::not_found, Radius::fatal, root_path + " is not a directory");
    std::vector<MaildirFolderInfo> out;
    if (is_mail_dir(root)) out.push_back({{"INBOX"}, root.string()});

    add_maildirpp(root, {}, out);
    std::vector<std::string> levels;
    add_fs_layout(root, levels, 0, out);
    return out;
}

Result<MaildirListing> list_maildir_messages(const std::string& folder_dir) {
    fs::path dir(folder_dir);
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return make_error(ErrorKind::not_found, Radius::folder, folder_dir + " is not a directory");
    MaildirListing listing;
    std::map<std::string, MaildirFile> by_key;
    add_files(dir / "cur", false, by_key, listing.warnings);
    add_files(dir / "new", false, by_key, listing.warnings);
    add_files(dir, true, by_key, listing.warnings);
    listing.files.reserve(by_key.size());
    for (auto& [key, f] : by_key) listing.files.push_back(std::move(f));
    return listing;
}

std::map<char, std::string> read_dovecot_keywords(const std::string& folder_dir) {
    std::ifstream in(folder_dir + "/" + DovecotKeywords::kFileName, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto table = DovecotKeywords::parse(text.str());
    std::map<char, std::string> out;
    for (char c = 'a'; c <= 'z'; ++c)
        if (!table.keyword_of(c).empty()) out[c] = table.keyword_of(c);
    return out;
}

Flags flags_from_info(std::string_view letters, const std::map<char, std::string>& keywords) {
    Flags f = Flags::from_maildir_letters(letters);
    for (char c : letters) {
        if (c == 'P') f.add_imap("$Forwarded");
        if (c < 'a' || c > 'z') continue;
        if (auto it = keywords.find(c); it != keywords.end()) f.add_imap(it->second);
    }
    return f;
}

}  // namespace mailferry::maildir
