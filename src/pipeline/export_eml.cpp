// Export as EML: a directory per folder, one file per message, each made
// through the folder's directory, held open below DEST.
#include "formats/eml/eml_naming.hpp"
#include "formats/eml/eml_writer.hpp"
#include "pipeline/export_sink.hpp"
#include "wrap/directory_handle.hpp"

namespace mailferry::pipeline {
namespace {

class EmlSink : public ExportSink {
public:
    EmlSink(bool force, const ExportPaths& paths) : paths_(paths), writer_(force) {}

    Status find_existing(cache::CacheReader& cache, const wrap::DirectoryHandle& dest, const ExportFolder& folder,
                         std::vector<std::string>& existing) override {
        start_folder(folder);
        auto dir = dest.open_subdirectories(folder.path);
        if (!dir) return dir.error();
        if (!*dir) return {};
        return cache.for_each_stored(folder.record.id, [&](const cache::StoredMessage& m) -> Status {
            std::string name = next_name(m);
            auto type = (*dir)->entry_type(name);
            if (!type) return type.error();
            if (*type == wrap::EntryType::regular) existing.push_back(folder.path + "/" + name);
            else if (*type != wrap::EntryType::none)
                return wrap::unexpected_entry((*dir)->path_of(name), *type, "a regular file");
            return {};
        });
    }

    Status start(wrap::DirectoryHandle dest) override {
        dest_ = std::move(dest);
        return {};
    }

    Status begin_folder(const ExportFolder& folder, ExportFolderReport&) override {
        start_folder(folder);
        auto dir = dest_.make_subdirectories(folder.path);
        if (!dir) return dir.error();
        dir_ = std::move(*dir);
        return {};
    }

    Status add(const cache::StoredMessage& m, std::string_view bytes, ExportFolderReport& report) override {
        auto replaced = writer_.write(dir_, next_name(m), bytes, m.received);
        if (!replaced) return replaced.error();
        report.replaced += *replaced;
        return {};
    }

    Status end_folder(ExportFolderReport&) override { return writer_.sync(); }

private:
    void start_folder(const ExportFolder& folder) {
        folder_ = folder.path;
        names_ = eml::UniqueNames();
    }

    // Unique in the folder's directory, and never a subfolder's directory name.
    std::string next_name(const cache::StoredMessage& m) {
        std::string name = names_.claim(eml::file_name(m.received, m.uid, m.subject));
        while (paths_.taken(folder_ + "/" + name)) {
            names_.reserve(name);
            name = names_.claim(name);
        }
        return name;
    }

    const ExportPaths& paths_;
    eml::EmlWriter writer_;
    wrap::DirectoryHandle dest_;
    wrap::DirectoryHandle dir_;  // the current folder's
    std::string folder_;
    eml::UniqueNames names_;
};

}  // namespace

std::unique_ptr<ExportSink> make_eml_sink(bool force, const ExportPaths& paths) {
    return std::make_unique<EmlSink>(force, paths);
}

}  // namespace mailferry::pipeline
