#include "formats/eml/eml_source.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "formats/mbox/from_line.hpp"
#include "formats/mbox/mbox_headers.hpp"
#include "core/rfc5322_date.hpp"
#include "wrap/posix_file.hpp"
#include "wrap/sha256.hpp"

namespace mailferry::eml {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxDepth = 32;

void collect(const fs::path& dir, const std::string& folder, int depth,
             std::map<std::string, std::pair<SourceFolder, std::vector<std::string>>>& out) {
    if (depth > kMaxDepth) return;
    std::error_code ec;
    std::vector<fs::path> files, subdirs;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name[0] == '.') continue;
        if (it->is_symlink(ec) && it->is_directory(ec)) continue;
        if (it->is_directory(ec)) subdirs.push_back(it->path());
        else if (it->is_regular_file(ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    std::sort(subdirs.begin(), subdirs.end());
    if (!files.empty()) {
        SourceFolder f = formats::folder_from_utf8(folder);
        auto& slot = out[f.raw_name];
        slot.first = f;
        for (const auto& p : files) slot.second.push_back(p.string());
    }
    for (const auto& sub : subdirs) collect(sub, formats::join_folder(folder, sub.filename().string()), depth + 1, out);
}

}  // namespace

EmlMessage split_envelope(std::string_view bytes) {
    EmlMessage m;
    m.bytes = bytes;
    if (bytes.substr(0, 5) != "From ") return m;
    // The line ends at CR as well as at LF: a file with CR-only line endings
    // is one LF-less line, which once became the envelope, the message dropped.
    size_t eol = bytes.find_first_of("\r\n");
    std::string_view line = bytes.substr(0, eol);
    mbox::FromLine from = mbox::parse_from_line(line);
    if (from.kind == mbox::FromKind::none) return m;
    m.had_envelope = true;
    m.envelope_date = from.date;
    if (eol == std::string_view::npos) {
        m.bytes = std::string_view();
        return m;
    }
    size_t next = eol + 1;
    if (bytes[eol] == '\r' && next < bytes.size() && bytes[next] == '\n') ++next;
    m.bytes = bytes.substr(next);
    return m;
}

EmlSource::EmlSource(EmlSourceOptions options, formats::SourceContext context)
    : FileListSource(std::move(context)), options_(std::move(options)) {}

Result<std::vector<SourceFolder>> EmlSource::list_folders() {
    fs::path root(options_.root);
    std::error_code ec;
    std::map<std::string, std::pair<SourceFolder, std::vector<std::string>>> found;
    if (fs::is_regular_file(root, ec)) {
        SourceFolder f = formats::folder_from_utf8(options_.folder.empty() ? "INBOX" : options_.folder);
        found[f.raw_name] = {f, {root.string()}};
    } else if (fs::is_directory(root, ec)) {
        std::string top = options_.folder;
        if (top.empty()) top = root.lexically_normal().filename().string();
        if (top.empty()) top = root.lexically_normal().parent_path().filename().string();  // "dir/" ends in ""
        collect(root, top, 0, found);
    } else {
        return make_error(ErrorKind::not_found, Radius::fatal, options_.root + " is neither a file nor a directory");
    }
    files_.clear();
    std::vector<SourceFolder> out;
    for (auto& [raw, slot] : found) {
        files_[raw] = std::move(slot.second);
        out.push_back(std::move(slot.first));
    }
    return out;
}

std::optional<formats::FileEntry> EmlSource::entry_of(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        context_.notes->error(wrap::errno_error("cannot stat", path).message + ": not imported");
        return std::nullopt;
    }
    if (static_cast<uint64_t>(st.st_size) > context_.max_message_bytes) {
        context_.notes->error(path + ": " + std::to_string(st.st_size) + " bytes, larger than the limit of " +
                              std::to_string(context_.max_message_bytes) + ": not imported");
        return std::nullopt;
    }
    auto bytes = wrap::read_file(path);
    if (!bytes) {
        context_.notes->error(bytes.error().message + ": not imported");
        return std::nullopt;
    }
    EmlMessage m = split_envelope(*bytes);
    if (m.bytes.empty()) {
        context_.notes->warning(path + (bytes->empty() ? ": empty file" : ": only an mbox From_ line") +
                                ": nothing to import");
        return std::nullopt;
    }
    formats::FileEntry e;
    e.key = wrap::sha256_hex(m.bytes);
    e.path = path;
    e.size = m.bytes.size();
    if (m.envelope_date) {
        e.received = *m.envelope_date;
        e.received_from = "from_line";
    } else if (auto date = mbox::header_value(m.bytes, "Date"); date && parse_rfc5322_date(*date)) {
        e.received = *parse_rfc5322_date(*date);
        e.received_from = "date";
    } else {
        e.received = st.st_mtime;
        e.received_from = "mtime";
    }
    return e;
}

Result<std::vector<formats::FileEntry>> EmlSource::entries_of(const SourceFolder& folder) {
    auto it = files_.find(folder.raw_name);
    if (it == files_.end()) return make_error(ErrorKind::not_found, Radius::folder, "no folder " + folder.name);
    std::vector<formats::FileEntry> entries;
    std::map<std::string, std::string> first_file;  // key -> the file that had it first
    for (const auto& path : it->second) {
        auto e = entry_of(path);
        if (!e) continue;
        auto [pos, fresh] = first_file.emplace(e->key, path);
        if (!fresh) context_.notes->warning(path + ": the same message as " + pos->second + ": imported once");
        entries.push_back(std::move(*e));
    }
    return entries;
}

std::optional<std::string_view> EmlSource::message_of(const formats::FileEntry& entry, std::string_view bytes) {
    EmlMessage m = split_envelope(bytes);
    if (wrap::sha256_hex(m.bytes) != entry.key) return std::nullopt;
    return m.bytes;
}

}  // namespace mailferry::eml
