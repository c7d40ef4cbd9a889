// Export as mbox: one file per folder, written by formats/mbox's MboxWriter.
#include <filesystem>
#include <optional>

#include "formats/mbox/mbox_writer.hpp"
#include "pipeline/export_sink.hpp"
#include "wrap/posix_file.hpp"

namespace mailferry::pipeline {
namespace {

namespace fs = std::filesystem;

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// Present at all, a dangling symlink included.
bool present(const std::string& path) {
    std::error_code ec;
    return fs::symlink_status(path, ec).type() != fs::file_type::not_found && !ec;
}

class MboxSink : public ExportSink {
public:
    MboxSink(std::string dest, mbox::Variant variant, bool force)
        : dest_(std::move(dest)), variant_(variant), force_(force) {}

    Status find_existing(cache::Cache&, const ExportFolder& folder, std::vector<std::string>& existing) override {
        if (present(dest_ + "/" + folder.path)) existing.push_back(folder.path);
        return {};
    }

    Status begin_folder(const ExportFolder& folder, ExportFolderReport& report) override {
        std::string path = dest_ + "/" + folder.path;
        MF_TRY(wrap::make_directories(parent_of(path), 0700));
        // Replacing means a new file: a symlink at the name is removed, never written through.
        if (force_ && present(path)) {
            std::error_code ec;
            if (fs::is_symlink(fs::symlink_status(path, ec))) MF_TRY(wrap::remove_file(path));
            report.replaced = 1;
        }
        mbox::WriterOptions o;
        o.variant = variant_;
        o.mode = force_ ? wrap::FileOutput::Mode::overwrite : wrap::FileOutput::Mode::create_new;
        auto w = mbox::MboxWriter::open(path, o);
        if (!w) return w.error();
        writer_.emplace(std::move(*w));
        return {};
    }

    Status add(const cache::StoredMessage& m, std::string_view bytes, ExportFolderReport& report) override {
        // The sender comes from the message (Return-Path, From:), the date is the received date.
        auto appended = writer_->append(bytes, m.received);
        if (!appended) return appended.error();
        report.newlines_added += appended->newline_added;
        report.escaped_lines += appended->escaped_lines;
        return {};
    }

    Status end_folder(ExportFolderReport&) override {
        Status s = writer_->close();
        writer_.reset();
        return s;
    }

private:
    std::string dest_;
    mbox::Variant variant_;
    bool force_;
    std::optional<mbox::MboxWriter> writer_;
};

}  // namespace

std::unique_ptr<ExportSink> make_mbox_sink(const std::string& dest, mbox::Variant variant, bool force) {
    return std::make_unique<MboxSink>(dest, variant, force);
}

}  // namespace mailferry::pipeline
