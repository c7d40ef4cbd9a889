#include "net/imap/imap_source.hpp"

#include <algorithm>
#include <cctype>

#include "mailferry/mutf7.hpp"

namespace mailferry::net {
namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

Error folder_error(Error e, const std::string& folder) {
    if (e.radius == Radius::message) e.radius = Radius::folder;
    e.in("folder " + folder);
    return e;
}

}  // namespace

std::string special_use_role(const std::vector<std::string>& attributes) {
    // RFC 6154 names, plus Gmail's XLIST spellings.
    static const std::pair<const char*, const char*> table[] = {
        {"\\all", "\\All"},         {"\\allmail", "\\All"},   {"\\archive", "\\Archive"},
        {"\\drafts", "\\Drafts"},   {"\\flagged", "\\Flagged"}, {"\\starred", "\\Flagged"},
        {"\\junk", "\\Junk"},       {"\\spam", "\\Junk"},     {"\\sent", "\\Sent"},
        {"\\trash", "\\Trash"},     {"\\inbox", "\\Inbox"},
    };
    for (const auto& a : attributes) {
        std::string l = lower(a);
        for (const auto& [from, to] : table)
            if (l == from) return to;
    }
    return "";
}

Result<std::vector<SourceFolder>> ImapSource::list_folders() {
    bool xlist = connection_->has_capability("XLIST") && !connection_->has_capability("SPECIAL-USE");
    auto entries = connection_->session().list("*", xlist);
    if (!entries) return entries.error();
    std::vector<SourceFolder> out;
    for (auto& e : *entries) {
        SourceFolder f;
        f.raw_name = e.raw_name;
        f.delimiter = e.delimiter;
        auto decoded = mutf7_decode(e.raw_name);
        f.name = decoded ? *decoded : e.raw_name;
        f.role = special_use_role(e.attributes);
        for (const auto& a : e.attributes) {
            std::string l = lower(a);
            if (l == "\\noselect" || l == "\\nonexistent") f.selectable = false;
        }
        // XLIST names INBOX in the user's language; IMAP calls it INBOX.
        if (f.role == "\\Inbox") {
            f.raw_name = f.name = "INBOX";
            f.role.clear();
        }
        out.push_back(std::move(f));
    }
    std::sort(out.begin(), out.end(),
              [](const SourceFolder& a, const SourceFolder& b) { return a.raw_name < b.raw_name; });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const SourceFolder& a, const SourceFolder& b) { return a.raw_name == b.raw_name; }),
              out.end());
    return out;
}

Result<FolderStatus> ImapSource::open_folder(const SourceFolder& folder) {
    auto info = connection_->session().examine(folder.raw_name);
    if (!info) return folder_error(info.error(), folder.name);
    open_folder_ = folder.name;
    return FolderStatus{info->uidvalidity, info->uidnext, info->exists};
}

Result<std::vector<MessageRef>> ImapSource::list_messages(uint32_t first_uid) {
    std::vector<MessageRef> refs;
    Status s = connection_->session().uid_fetch(
        {{std::max<uint32_t>(first_uid, 1), 0}}, wrap::fetch_uid | wrap::fetch_size,
        [&](const wrap::MessageAttributes& a) {
            // "n:*" also matches the highest UID when it is below n (RFC 3501 §6.4.8).
            if (a.uid >= first_uid && a.uid != 0) refs.push_back({a.uid, a.size});
        });
    if (!s) return folder_error(s.error(), open_folder_);
    std::sort(refs.begin(), refs.end(), [](const MessageRef& a, const MessageRef& b) { return a.uid < b.uid; });
    return refs;
}

Status ImapSource::fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) {
    std::optional<Error> sink_error;
    Status s = connection_->session().uid_fetch(
        wrap::compress_uids(uids),
        wrap::fetch_uid | wrap::fetch_flags | wrap::fetch_internaldate | wrap::fetch_size | wrap::fetch_body,
        [&](const wrap::MessageAttributes& a) {
            // libetpan reads the whole response either way; after a local
            // error the rest is drained and dropped.
            if (sink_error || !a.has_body || a.uid == 0) return;
            FetchedMessage m;
            m.uid = a.uid;
            m.received = a.internaldate;
            m.flags = a.flags;
            m.bytes = a.body;
            if (auto r = sink(m); !r) sink_error = r.error();
        });
    if (sink_error) return *sink_error;
    if (!s) return folder_error(s.error(), open_folder_);
    return {};
}

Status ImapSource::fetch_flags(uint32_t last_uid, const FlagsSink& sink) {
    if (last_uid == 0) return {};
    Status s = connection_->session().uid_fetch(
        {{1, last_uid}}, wrap::fetch_uid | wrap::fetch_flags, [&](const wrap::MessageAttributes& a) {
            if (a.uid != 0 && a.uid <= last_uid && a.has_flags) sink(a.uid, a.flags);
        });
    if (!s) return folder_error(s.error(), open_folder_);
    return {};
}

}  // namespace mailferry::net
