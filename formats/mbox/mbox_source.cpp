#include "formats/mbox/mbox_source.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "formats/mbox/mbox_headers.hpp"
#include "formats/mbox/takeout_labels.hpp"
#include "core/rfc5322_date.hpp"
#include "wrap/sha256.hpp"

namespace mailferry::mbox {
namespace {

// The reader's own limit is far above what any server takes; the import's is lower.
ReaderOptions reader_options(const formats::SourceContext& c, Variant variant = Variant::auto_detect) {
    ReaderOptions o;
    o.max_message_bytes = c.max_message_bytes;
    o.variant = variant;
    return o;
}

}  // namespace

MboxSource::MboxSource(MboxSourceOptions options, formats::SourceContext context)
    : options_(std::move(options)), context_(std::move(context)) {}

MboxSource::~MboxSource() = default;

uint32_t MboxSource::folder_index(const std::string& utf8_name) {
    SourceFolder f = formats::folder_from_utf8(utf8_name);
    for (size_t i = 0; i < folders_.size(); ++i)
        if (folders_[i].raw_name == f.raw_name) return static_cast<uint32_t>(i);
    f.role = takeout_label_role(utf8_name);
    folders_.push_back(std::move(f));
    return static_cast<uint32_t>(folders_.size() - 1);
}

// The folders a message's Takeout labels put it in (none: the file's own
// folder), their flags applied, within the limits of takeout_labels.hpp.
std::vector<std::string> MboxSource::label_folders(const CursorMessage& m, Flags& flags) {
    if (!takeout_ && m.has_from_line) takeout_ = m.takeout_envelope;
    if (!m.gmail_labels) return {};
    if (!options_.labels_in_any_file && !takeout_.value_or(false)) {
        ++labels_ignored_;
        return {};
    }
    TakeoutLabels t = parse_takeout_labels(*m.gmail_labels);
    if (t.opened) flags.seen = true;
    if (t.unread) flags.seen = false;
    if (t.starred) flags.flagged = true;
    std::vector<std::string> folders;
    for (auto& f : t.folders) {
        if (options_.labels == LabelMode::first && !folders.empty()) break;
        bool known = std::any_of(folders_.begin(), folders_.end(), [&](const SourceFolder& s) { return s.name == f; });
        if (folders.size() >= kMaxLabelsPerMessage || (!known && folders_.size() >= kMaxLabelFolders)) {
            ++labels_over_cap_;
            continue;
        }
        folders.push_back(std::move(f));
    }
    return folders;
}

void MboxSource::note_label_limits() {
    if (labels_ignored_)
        context_.notes->warning(options_.path + ": X-Gmail-Labels of " + std::to_string(labels_ignored_) +
                                " message(s) not used as folders: the file is not a Google Takeout export "
                                "(--labels-in-any-file uses them anyway)");
    if (labels_over_cap_)
        context_.notes->warning(options_.path + ": " + std::to_string(labels_over_cap_) +
                                " label(s) not made into folders: more than " + std::to_string(kMaxLabelsPerMessage) +
                                " on a message or " + std::to_string(kMaxLabelFolders) + " in the file");
}

void MboxSource::scan_message(const CursorMessage& m, int64_t mtime) {
    if (m.folder_internal_data) return;  // UW-IMAP's folder state, not mail
    Entry e;
    e.index = m.index;
    e.offset = m.offset;
    e.size = m.bytes.size();
    e.key = std::to_string(m.offset) + ":" + wrap::sha256_hex(m.bytes);
    e.flags = m.flags;
    if (m.date) {
        e.received = *m.date;
        e.received_from = "from_line";
    } else if (auto date = header_value(m.bytes, "Date"); date && parse_rfc5322_date(*date)) {
        e.received = *parse_rfc5322_date(*date);
        e.received_from = "date";
    } else {
        e.received = mtime;
        e.received_from = "mtime";
    }
    std::vector<std::string> folders = label_folders(m, e.flags);
    if (folders.empty()) folders.push_back(options_.folder);
    for (const auto& f : folders) {
        uint32_t idx = folder_index(f);
        if (std::find(e.folders.begin(), e.folders.end(), idx) == e.folders.end()) e.folders.push_back(idx);
        if (folders_[idx].role == "\\Drafts") e.flags.draft = true;
    }
    char last = m.bytes.back();
    if (last != '\n' && last != '\r') {
        truncated_.insert(m.offset);
        context_.notes->error(options_.path + ":" + std::to_string(m.offset) +
                              ": the message does not end with a line break (a truncated file?): imported as it is");
    }
    if (context_.progress) context_.progress->scanned = m.offset + m.bytes.size();
    entries_.push_back(std::move(e));
}

Status MboxSource::scan() {
    scanned_ = true;
    struct stat st {};
    if (::stat(options_.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return make_error(ErrorKind::not_found, Radius::fatal, options_.path + " is not a readable file");
    if (context_.progress) {
        context_.progress->scanned = 0;
        context_.progress->scan_total = static_cast<uint64_t>(st.st_size);
        context_.progress->scanning = true;
    }
    // The cursor splits the file on its own thread while this one hashes.
    MboxCursor cursor(options_.path, reader_options(context_, options_.variant));
    while (const CursorMessage* m = cursor.next()) scan_message(*m, st.st_mtime);
    if (context_.progress) context_.progress->scanning = false;
    // The fetch pass reads the same way without deciding again (no look-ahead pass).
    variant_ = cursor.report().variant;
    note_label_limits();
    return note_read_problems(cursor.status(), cursor.report());
}

// What the reader met, into the notes: its warnings, and as errors what cost messages.
Status MboxSource::note_read_problems(const Status& read, const ReadReport& r) {
    for (const auto& w : r.warnings) {
        // The reader's warning about a message without a final line break is
        // an error here (scan_message said so): not twice.
        if (truncated_.count(w.offset) && w.text.find("line break") != std::string::npos) continue;
        context_.notes->warning(options_.path + ":" + std::to_string(w.offset) + ": " + w.text);
    }
    if (r.warnings_dropped)
        context_.notes->warning(options_.path + ": " + std::to_string(r.warnings_dropped) + " more warnings not shown");
    if (r.skipped)
        context_.notes->error(options_.path + ": " + std::to_string(r.skipped) +
                              " message(s) skipped (see the warnings for where and why)");
    if (!read.ok()) {
        Error e = read.error();
        if (e.kind == ErrorKind::not_found) return e;  // nothing read at all
        context_.notes->error(e.describe() + "; the " + std::to_string(entries_.size()) +
                              " message(s) before it are imported");
    } else if (entries_.empty() && !r.skipped) {
        context_.notes->warning(options_.path + ": no messages in this file");
    }
    return {};
}

Result<std::vector<SourceFolder>> MboxSource::list_folders() {
    if (!scanned_) MF_TRY(scan());
    return folders_;
}

Result<FolderStatus> MboxSource::open_folder(const SourceFolder& folder) {
    open_.clear();
    if (!scanned_) MF_TRY(scan());
    uint32_t idx = 0;
    while (idx < folders_.size() && folders_[idx].raw_name != folder.raw_name) ++idx;
    if (idx == folders_.size())
        return make_error(ErrorKind::not_found, Radius::folder, "no folder " + folder.name + " in " + options_.path);
    std::vector<size_t> members;
    std::vector<std::string> keys;
    for (size_t i = 0; i < entries_.size(); ++i) {
        const auto& f = entries_[i].folders;
        if (std::find(f.begin(), f.end(), idx) == f.end()) continue;
        members.push_back(i);
        keys.push_back(entries_[i].key);
    }
    auto uids = formats::assign_folder_uids(context_, folder.raw_name, keys);
    if (!uids) return uids.error();
    for (size_t k = 0; k < members.size(); ++k) open_.push_back({(*uids)[k], members[k]});
    std::sort(open_.begin(), open_.end(), [](const Open& a, const Open& b) { return a.uid < b.uid; });
    return formats::file_folder_status(open_.empty() ? 0 : open_.back().uid, open_.size());
}

Result<std::vector<MessageRef>> MboxSource::list_messages(uint32_t first_uid) {
    std::vector<MessageRef> refs;
    for (const auto& o : open_)
        if (o.uid >= first_uid) refs.push_back({o.uid, entries_[o.entry].size});
    return refs;
}

// Moves the cursor to the entry's message: forward in the current pass, or
// from the start in a new one when the message lies behind.
const CursorMessage* MboxSource::seek(const Entry& e) {
    if (at_ && at_->index == e.index) return at_;
    if (!cursor_ || !at_ || at_->index > e.index) {
        cursor_ = std::make_unique<MboxCursor>(options_.path, reader_options(context_, variant_));
        at_ = nullptr;
    }
    while ((at_ = cursor_->next()) != nullptr && at_->index < e.index) {
    }
    if (!at_) cursor_.reset();
    return at_;
}

Status MboxSource::fetch_messages(const std::vector<uint32_t>& uids, const MessageSink& sink) {
    std::vector<std::pair<size_t, uint32_t>> wanted;  // entry, uid: in file order
    for (uint32_t uid : uids) {
        auto it = std::lower_bound(open_.begin(), open_.end(), uid, [](const Open& o, uint32_t u) { return o.uid < u; });
        if (it != open_.end() && it->uid == uid) wanted.emplace_back(it->entry, uid);
    }
    std::sort(wanted.begin(), wanted.end());
    for (const auto& [entry, uid] : wanted) {
        const Entry& e = entries_[entry];
        const CursorMessage* msg = seek(e);
        if (!msg || msg->index != e.index || msg->offset != e.offset || msg->bytes.size() != e.size) {
            context_.notes->error(options_.path + ":" + std::to_string(e.offset) +
                                  ": the file changed while it was imported: message not imported (run again)");
            continue;
        }
        FetchedMessage out;
        out.uid = uid;
        out.received = e.received;
        out.flags = e.flags;
        out.bytes = msg->bytes;
        out.source_key = e.key;
        out.received_from = e.received_from;
        MF_TRY(sink(out));
    }
    return {};
}

Status MboxSource::fetch_flags(uint32_t last_uid, const FlagsSink& sink) {
    for (const auto& o : open_) {
        if (o.uid > last_uid) break;
        sink(o.uid, entries_[o.entry].flags);
    }
    return {};
}

}  // namespace mailferry::mbox
