#include "formats/file_list_source.hpp"

#include <algorithm>
#include <unordered_set>

#include "wrap/posix_file.hpp"

namespace mailferry::formats {

Result<FolderStatus> FileListSource::open_folder(const SourceFolder& folder) {
    open_.clear();
    auto entries = entries_of(folder);
    if (!entries) return entries.error();
    std::vector<std::string> keys;
    keys.reserve(entries->size());
    for (const auto& e : *entries) keys.push_back(e.key);
    auto uids = assign_folder_uids(context_, folder.raw_name, keys);
    if (!uids) return uids.error();
    // The same key twice (an EML file and its copy) is one message: the first one.
    std::unordered_set<uint32_t> seen;
    for (size_t i = 0; i < entries->size(); ++i) {
        FileEntry& e = (*entries)[i];
        e.uid = (*uids)[i];
        if (seen.insert(e.uid).second) open_.push_back(std::move(e));
    }
    std::sort(open_.begin(), open_.end(), [](const FileEntry& a, const FileEntry& b) { return a.uid < b.uid; });
    return file_folder_status(open_.empty() ? 0 : open_.back().uid, open_.size());
}

Result<std::vector<MessageRef>> FileListSource::list_messages(uint32_t first_uid) {
    std::vector<MessageRef> refs;
    for (const auto& e : open_)
        if (e.uid >= first_uid) refs.push_back({e.uid, e.size});
    return refs;
}

const FileEntry* FileListSource::find(uint32_t uid) const {
    auto it = std::lower_bound(open_.begin(), open_.end(), uid,
                               [](const FileEntry& e, uint32_t u) { return e.uid < u; });
    return it != open_.end() && it->uid == uid ? &*it : nullptr;
}

Status FileListSource::fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) {
    for (uint32_t uid : uids) {
        const FileEntry* e = find(uid);
        if (!e) continue;
        auto bytes = wrap::read_file(e->path);
        if (!bytes) {
            context_.notes->error(bytes.error().message + ": not imported");
            continue;
        }
        if (bytes->size() > context_.max_message_bytes) {
            context_.notes->error(e->path + ": larger than the limit of " + std::to_string(context_.max_message_bytes) +
                                  " bytes: not imported");
            continue;
        }
        auto message = message_of(*e, *bytes);
        if (!message) {
            context_.notes->error(e->path + ": the file changed while it was imported: not imported (run again)");
            continue;
        }
        FetchedMessage m;
        m.uid = e->uid;
        m.received = e->received;
        m.flags = e->flags;
        m.bytes = *message;
        m.source_key = e->key;
        m.received_from = e->received_from;
        MF_TRY(sink(m));
    }
    return {};
}

Status FileListSource::fetch_flags(uint32_t last_uid, const FlagsSink& sink) {
    for (const auto& e : open_) {
        if (e.uid > last_uid) break;
        sink(e.uid, e.flags);
    }
    return {};
}

}  // namespace mailferry::formats
