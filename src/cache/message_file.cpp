#include "cache/message_file.hpp"

#include <dirent.h>

#include <memory>
#include <optional>
#include <string_view>

#include "mailferry/cache_reader.hpp"
#include "formats/maildir/maildir_naming.hpp"
#include "wrap/file_input.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::cache {
namespace {

std::string absolute(const CacheReader& cache, const std::string& rel) { return cache.dir() + "/" + rel; }

struct CloseDir {
    void operator()(DIR* d) const { closedir(d); }
};

// The entry of dir (absolute) whose unique part is base, if any.
std::optional<std::string> entry_with_base(const std::string& dir, const std::string& base) {
    std::unique_ptr<DIR, CloseDir> d(opendir(dir.c_str()));
    if (!d) return std::nullopt;
    while (const dirent* e = readdir(d.get())) {
        std::string_view name = e->d_name;
        if (name.compare(0, base.size(), base) == 0 && maildir::parse_file_name(name).base == base)
            return std::string(name);
    }
    return std::nullopt;
}

Error missing(const std::string& rel) {
    return make_error(ErrorKind::not_found, Radius::message, "the message file " + rel + " is missing from the cache");
}

}  // namespace

Result<std::string> locate_message_file(const CacheReader& cache, const std::string& rel) {
    if (wrap::exists(absolute(cache, rel))) return rel;
    // rel is "<folder>/cur/<name>" or "<folder>/new/<name>".
    size_t slash = rel.rfind('/');
    if (slash == std::string::npos || slash < 4) return missing(rel);
    const std::string_view sub_dir = std::string_view(rel).substr(slash - 4, 5);
    if (sub_dir != "/cur/" && sub_dir != "/new/") return missing(rel);
    const std::string folder = rel.substr(0, slash - 3);  // with its trailing '/'
    const std::string base = maildir::parse_file_name(std::string_view(rel).substr(slash + 1)).base;
    if (base.empty()) return missing(rel);
    for (const char* sub : {"cur", "new"}) {
        if (auto name = entry_with_base(absolute(cache, folder + sub), base)) return folder + sub + "/" + *name;
    }
    return missing(rel);
}

namespace {

Result<std::string> read_decompressed(const std::string& path) {
    auto in = wrap::FileInput::open(path);
    if (!in) return in.error();
    std::string out;
    char buf[65536];
    for (;;) {
        auto n = in->read(buf, sizeof buf);
        if (!n) return n.error();
        if (*n == 0) return out;
        out.append(buf, *n);
    }
}

}  // namespace

Result<std::string> read_message_file(const CacheReader& cache, const std::string& rel, bool compressed) {
    // Between locating the file and opening it, its flags may change once more.
    for (int attempt = 0;; ++attempt) {
        auto path = locate_message_file(cache, rel);
        if (!path) return path.error();
        const std::string file = absolute(cache, *path);
        auto bytes = compressed ? read_decompressed(file) : wrap::read_file(file);
        if (bytes || attempt == 3 || wrap::exists(file)) return bytes;
    }
}

}  // namespace mailferry::cache
