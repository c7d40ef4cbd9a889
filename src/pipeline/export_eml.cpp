// Export as EML: a directory per folder, one file per message.
#include "formats/eml/eml_naming.hpp"
#include "formats/eml/eml_writer.hpp"
#include "pipeline/export_sink.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::pipeline {
namespace {

class EmlSink : public ExportSink {
public:
    EmlSink(std::string dest, bool force, const ExportPaths& paths)
        : dest_(std::move(dest)), force_(force), paths_(paths), writer_(force) {}

    Status find_existing(cache::Cache& cache, const ExportFolder& folder, std::vector<std::string>& existing) override {
        start(folder);
        std::string dir = dest_ + "/" + folder.path;
        if (!wrap::exists(dir)) return {};
        return cache.for_each_stored(folder.record.id, [&](const cache::StoredMessage& m) -> Status {
            std::string name = next_name(m);
            if (wrap::exists(dir + "/" + name)) existing.push_back(folder.path + "/" + name);
            return {};
        });
    }

    Status begin_folder(const ExportFolder& folder, ExportFolderReport&) override {
        start(folder);
        return wrap::make_directories(dest_ + "/" + folder.path, 0700);
    }

    Status add(const cache::StoredMessage& m, std::string_view bytes, ExportFolderReport& report) override {
        std::string dir = dest_ + "/" + folder_;
        std::string name = next_name(m);
        if (force_ && wrap::exists(dir + "/" + name)) ++report.replaced;
        return writer_.write(dir, name, bytes, m.received);
    }

    Status end_folder(ExportFolderReport&) override { return writer_.sync(); }

private:
    void start(const ExportFolder& folder) {
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

    std::string dest_;
    bool force_;
    const ExportPaths& paths_;
    eml::EmlWriter writer_;
    std::string folder_;
    eml::UniqueNames names_;
};

}  // namespace

std::unique_ptr<ExportSink> make_eml_sink(const std::string& dest, bool force, const ExportPaths& paths) {
    return std::make_unique<EmlSink>(dest, force, paths);
}

}  // namespace mailferry::pipeline
