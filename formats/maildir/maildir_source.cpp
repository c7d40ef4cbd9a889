#include "formats/maildir/maildir_source.hpp"

#include <set>

#include "formats/maildir/maildir_naming.hpp"

namespace mailferry::maildir {

MaildirSource::MaildirSource(MaildirSourceOptions options, formats::SourceContext context)
    : FileListSource(std::move(context)), options_(std::move(options)) {}

Result<std::vector<SourceFolder>> MaildirSource::list_folders() {
    auto found = list_maildir_folders(options_.root);
    if (!found) return found.error();
    folders_.clear();
    std::set<std::string> raw_names;
    std::vector<SourceFolder> out;
    for (const auto& f : *found) {
        SourceFolder folder;
        bool inbox = f.levels.size() == 1 && f.levels[0] == "INBOX";
        if (options_.folder.empty()) {
            folder.raw_name = raw_name_of(f.levels);
            folder.name = display_name_of(f.levels);
            folder.delimiter = '/';
        } else {
            // Below a folder named by the user: the same levels, as UTF-8 under it.
            folder = formats::folder_from_utf8(
                inbox ? options_.folder : formats::join_folder(options_.folder, display_name_of(f.levels)));
        }
        // A file-system layout directory named INBOX next to the root's own cur/.
        if (!raw_names.insert(folder.raw_name).second) {
            context_.notes->warning(f.path + ": a second folder named " + folder.name + ": not imported");
            continue;
        }
        folders_.emplace_back(folder, f.path);
        out.push_back(std::move(folder));
    }
    return out;
}

Result<std::vector<formats::FileEntry>> MaildirSource::entries_of(const SourceFolder& folder) {
    const std::string* dir = nullptr;
    for (const auto& [f, path] : folders_)
        if (f.raw_name == folder.raw_name) dir = &path;
    if (!dir) return make_error(ErrorKind::not_found, Radius::folder, "no folder " + folder.name + " in " + options_.root);
    auto listing = list_maildir_messages(*dir);
    if (!listing) return listing.error();
    for (const auto& w : listing->warnings) context_.notes->warning(w);
    auto keywords = read_dovecot_keywords(*dir);
    std::vector<formats::FileEntry> entries;
    entries.reserve(listing->files.size());
    for (auto& file : listing->files) {
        if (file.size > context_.max_message_bytes) {
            context_.notes->error(file.path + ": " + std::to_string(file.size) + " bytes, larger than the limit of " +
                                  std::to_string(context_.max_message_bytes) + ": not imported");
            continue;
        }
        if (file.size == 0) {
            context_.notes->warning(file.path + ": empty file: nothing to import");
            continue;
        }
        formats::FileEntry e;
        e.key = std::move(file.key);
        e.path = std::move(file.path);
        e.size = file.size;
        e.received = file.mtime;
        e.received_from = "mtime";
        e.flags = flags_from_info(file.info, keywords);
        entries.push_back(std::move(e));
    }
    return entries;
}

std::optional<std::string_view> MaildirSource::message_of(const formats::FileEntry&, std::string_view bytes) {
    // Maildir files are written once and only renamed: the name is the identity.
    return bytes.empty() ? std::nullopt : std::optional<std::string_view>(bytes);
}

}  // namespace mailferry::maildir
