// Cache's CacheReader side that goes beyond one query (include/mailferry/cache_reader.hpp):
// message bytes through message_file.hpp, search through text_search.hpp.
#include "cache/cache.hpp"
#include "cache/message_file.hpp"
#include "cache/text_search.hpp"

namespace mailferry::cache {

Result<std::unique_ptr<CacheReader>> open_cache_reader(const std::string& dir) {
    auto cache = Cache::open(dir, OpenMode::read_only);
    if (!cache) return cache.error();
    return std::unique_ptr<CacheReader>(std::move(*cache));
}

Result<std::string> Cache::read_message(int64_t id) {
    auto file = message_file(id);
    if (!file) return file.error();
    return read_message_file(*this, file->path, file->compressed);
}

Result<std::string> Cache::read_message(const StoredMessage& message) {
    return read_message_file(*this, message.path, message.compressed);
}

Result<std::vector<SearchHit>> Cache::search(const SearchQuery& query) { return cache::search(*this, query); }

Result<int64_t> Cache::messages_not_indexed() { return cache::messages_not_indexed(*this); }

}  // namespace mailferry::cache
