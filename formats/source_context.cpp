#include "formats/source_context.hpp"

#include "formats/maildir/maildir_naming.hpp"
#include "core/mutf7.hpp"

namespace mailferry::formats {

void ImportNotes::warning(std::string line) {
    std::lock_guard<std::mutex> l(mutex_);
    if (++warning_count_ <= kMaxLines) warnings_.push_back(std::move(line));
}

void ImportNotes::error(std::string line) {
    std::lock_guard<std::mutex> l(mutex_);
    if (++error_count_ <= kMaxLines) errors_.push_back(std::move(line));
}

std::vector<std::string> ImportNotes::warnings() const {
    std::lock_guard<std::mutex> l(mutex_);
    return warnings_;
}

std::vector<std::string> ImportNotes::errors() const {
    std::lock_guard<std::mutex> l(mutex_);
    return errors_;
}

uint64_t ImportNotes::error_count() const {
    std::lock_guard<std::mutex> l(mutex_);
    return error_count_;
}

uint64_t ImportNotes::warning_count() const {
    std::lock_guard<std::mutex> l(mutex_);
    return warning_count_;
}

Result<std::vector<uint32_t>> assign_folder_uids(const SourceContext& context, const std::string& folder,
                                                 const std::vector<std::string>& keys) {
    auto uids = context.assign_uids(folder, keys);
    if (!uids) return uids.error();
    if (uids->size() != keys.size())
        return make_error(ErrorKind::internal, Radius::fatal, "the UID assigner gave a wrong number of UIDs");
    return uids;
}

FolderStatus file_folder_status(uint32_t highest_uid, size_t messages) {
    FolderStatus status;
    status.uidvalidity = 1;  // UIDs come from the cache and never change meaning
    status.uidnext = highest_uid + 1;
    status.exists = static_cast<uint32_t>(messages);
    return status;
}

SourceFolder folder_from_utf8(std::string_view name) {
    std::vector<std::string> utf8_levels, levels;
    for (const auto& level : maildir::split_levels(name, '/')) {
        if (level.empty()) continue;
        utf8_levels.push_back(level);
        levels.push_back(mutf7_encode(level));
    }
    if (levels.empty()) levels = utf8_levels = {"INBOX"};
    SourceFolder f;
    if (levels.size() == 1 && maildir::folder_directory(levels).empty()) {
        f.raw_name = f.name = "INBOX";
    } else {
        f.raw_name = maildir::raw_name_of(levels);
        f.name = maildir::raw_name_of(utf8_levels);
    }
    f.delimiter = '/';
    return f;
}

std::string join_folder(std::string_view parent, std::string_view child) {
    if (parent.empty()) return std::string(child);
    if (child.empty()) return std::string(parent);
    return std::string(parent) + "/" + std::string(child);
}

}  // namespace mailferry::formats
