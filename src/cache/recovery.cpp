#include "cache/recovery.hpp"

#include <boost/filesystem.hpp>
#include <sys/stat.h>

#include <unordered_set>

#include "formats/maildir/maildir_naming.hpp"
#include "wrap/sha256.hpp"

namespace mailferry::cache {
namespace fs = boost::filesystem;

namespace {

struct Indexed {
    std::unordered_set<std::string> names;  // file names with an index row
    std::unordered_set<std::string> bases;  // their unique parts
};

Result<Indexed> indexed_files(Cache& cache, int64_t folder_id) {
    Indexed idx;
    MF_TRY(cache.for_each_message(folder_id, [&](const CachedMessage& m) {
        std::string name = m.path.substr(m.path.rfind('/') + 1);
        idx.bases.insert(maildir::parse_file_name(name).base);
        idx.names.insert(std::move(name));
    }));
    return idx;
}

Result<MessageRecord> adopt_file(const FolderRecord& folder, const std::string& rel_path,
                                 const std::string& abs_path, const maildir::ParsedFileName& p) {
    auto bytes = wrap::read_file(abs_path);
    if (!bytes) return bytes.error();
    struct stat st;
    if (::stat(abs_path.c_str(), &st) != 0) return wrap::errno_error("cannot stat", abs_path);
    MessageRecord m;
    m.folder_id = folder.id;
    m.uidvalidity = *p.uidvalidity;
    m.uid = *p.uid;
    m.sha256 = wrap::sha256_hex(*bytes);
    m.size = bytes->size();
    m.received = st.st_mtime;
    m.flags = Flags::from_maildir_letters(p.letters);
    m.headers = mime::read_header_fields(*bytes);
    m.path = rel_path;
    return m;
}

Status recover_folder(Cache& cache, const FolderRecord& folder, RecoveryReport& report) {
    std::string rel_dir = folder.maildir.empty() ? "mail" : "mail/" + folder.maildir;
    fs::path dir = fs::path(cache.dir()) / rel_dir;
    boost::system::error_code ec;
    if (!fs::is_directory(dir, ec)) return {};

    for (fs::directory_iterator it(dir / "tmp", ec), end; !ec && it != end; it.increment(ec)) {
        if (fs::is_regular_file(it->path(), ec)) {
            MF_TRY(wrap::remove_file(it->path().string()));
            ++report.tmp_removed;
        }
    }
    auto idx = indexed_files(cache, folder.id);
    if (!idx) return idx.error();
    std::vector<MessageRecord> adopted;
    for (const char* sub : {"cur", "new"}) {
        for (fs::directory_iterator it(dir / sub, ec), end; !ec && it != end; it.increment(ec)) {
            std::string name = it->path().filename().string();
            if (name[0] == '.' || idx->names.count(name)) continue;
            auto parsed = maildir::parse_file_name(name);
            if (idx->bases.count(parsed.base)) {
                MF_TRY(wrap::remove_file(it->path().string()));
                ++report.stale_links_removed;
                continue;
            }
            if (!parsed.uid || !parsed.uidvalidity) {
                ++report.foreign_files;
                continue;
            }
            auto m = adopt_file(folder, rel_dir + "/" + sub + "/" + name, it->path().string(), parsed);
            if (!m) return m.error();
            if (parsed.size && *parsed.size != m->size) {
                // Cannot happen under the write order; never adopt a damaged file.
                MF_TRY(wrap::remove_file(it->path().string()));
                continue;
            }
            adopted.push_back(std::move(*m));
        }
    }
    // A message of a source without UIDs of its own (a file, POP3) keeps its
    // source identity: the key its UID was given for.
    if (!adopted.empty()) {
        auto keys = cache.source_keys(folder.source_id, folder.info.raw_name);
        if (!keys) return keys.error();
        for (auto& m : adopted) {
            if (auto it = keys->find(m.uid); it != keys->end()) m.source_key = it->second;
        }
    }
    report.adopted += adopted.size();
    return cache.insert_messages(adopted);
}

}  // namespace

Result<RecoveryReport> recover(Cache& cache) {
    RecoveryReport report;
    auto folders = cache.folders();
    if (!folders) return folders.error();
    for (const auto& f : *folders) {
        if (auto s = recover_folder(cache, f, report); !s) {
            Error e = s.error();
            e.in("recovering folder " + f.info.name);
            return e;
        }
    }
    return report;
}

}  // namespace mailferry::cache
