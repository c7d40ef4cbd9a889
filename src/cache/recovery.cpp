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

Result<MessageRecord> adopt_file(Cache& cache, const FolderRecord& folder, const std::string& rel_path,
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
    // A POP3 message (or a file's) keeps the identity the cache gave its UID.
    auto key = cache.source_key_of(folder.source_id, folder.info.raw_name, m.uid);
    if (!key) return key.error();
    m.source_key = *key;
    if (!m.source_key.empty()) m.received_from = "mtime";
    return m;
}

Status recover_folder(Cache& cache, const FolderRecord& folder, RecoveryReport& report) {
    auto scan = scan_folder(cache, folder);
    if (!scan) return scan.error();
    for (const auto& rel : scan->tmp_files) MF_TRY(wrap::remove_file(cache.absolute(rel)));
    report.tmp_removed += scan->tmp_files.size();
    for (const auto& rel : scan->stale_links) MF_TRY(wrap::remove_file(cache.absolute(rel)));
    report.stale_links_removed += scan->stale_links.size();
    report.foreign_files += scan->foreign.size();
    std::vector<MessageRecord> adopted;
    for (const auto& rel : scan->unindexed) {
        auto parsed = maildir::parse_file_name(rel.substr(rel.rfind('/') + 1));
        auto m = adopt_file(cache, folder, rel, cache.absolute(rel), parsed);
        if (!m) return m.error();
        if (parsed.size && *parsed.size != m->size) {
            // Cannot happen under the write order; never adopt a damaged file.
            MF_TRY(wrap::remove_file(cache.absolute(rel)));
            continue;
        }
        adopted.push_back(std::move(*m));
    }
    report.adopted += adopted.size();
    return cache.insert_messages(adopted);
}

}  // namespace

Result<FolderScan> scan_folder(Cache& cache, const FolderRecord& folder) {
    FolderScan scan;
    const std::string rel_dir = folder.maildir.empty() ? "mail" : "mail/" + folder.maildir;
    fs::path dir = fs::path(cache.dir()) / rel_dir;
    boost::system::error_code ec;
    if (!fs::is_directory(dir, ec)) return scan;
    for (fs::directory_iterator it(dir / "tmp", ec), end; !ec && it != end; it.increment(ec))
        if (fs::is_regular_file(it->path(), ec)) scan.tmp_files.push_back(rel_dir + "/tmp/" + it->path().filename().string());
    auto idx = indexed_files(cache, folder.id);
    if (!idx) return idx.error();
    for (const char* sub : {"cur", "new"}) {
        for (fs::directory_iterator it(dir / sub, ec), end; !ec && it != end; it.increment(ec)) {
            std::string name = it->path().filename().string();
            if (name[0] == '.' || idx->names.count(name)) continue;
            const std::string rel = rel_dir + "/" + sub + "/" + name;
            auto parsed = maildir::parse_file_name(name);
            if (idx->bases.count(parsed.base)) scan.stale_links.push_back(rel);
            else if (parsed.uid && parsed.uidvalidity) scan.unindexed.push_back(rel);
            else scan.foreign.push_back(rel);
        }
    }
    return scan;
}

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
