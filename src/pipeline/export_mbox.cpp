// Export as mbox: one file per folder, written by formats/mbox's MboxWriter
// through the folder's parent directory, held open below DEST.
#include <optional>

#include "formats/mbox/mbox_writer.hpp"
#include "pipeline/export_sink.hpp"
#include "wrap/directory_handle.hpp"

namespace mailferry::pipeline {
namespace {

// "Lists/dev.mbox" -> {"Lists", "dev.mbox"}.
std::pair<std::string, std::string> split_parent(const std::string& rel) {
    size_t slash = rel.rfind('/');
    if (slash == std::string::npos) return {"", rel};
    return {rel.substr(0, slash), rel.substr(slash + 1)};
}

class MboxSink : public ExportSink {
public:
    MboxSink(mbox::Variant variant, bool force) : variant_(variant), force_(force) {}

    Status find_existing(cache::CacheReader&, const wrap::DirectoryHandle& dest, const ExportFolder& folder,
                         std::vector<std::string>& existing) override {
        auto [parent, name] = split_parent(folder.path);
        auto dir = dest.open_subdirectories(parent);
        if (!dir) return dir.error();
        if (!*dir) return {};
        auto type = existing_file(**dir, name);
        if (!type) return type.error();
        if (*type) existing.push_back(folder.path);
        return {};
    }

    Status start(wrap::DirectoryHandle dest) override {
        dest_ = std::move(dest);
        return {};
    }

    Status begin_folder(const ExportFolder& folder, ExportFolderReport& report) override {
        auto [parent, name] = split_parent(folder.path);
        auto dir = dest_.make_subdirectories(parent);
        if (!dir) return dir.error();
        auto exists = existing_file(*dir, name);
        if (!exists) return exists.error();
        // Replacing writes a new file beside the old one, renamed over it when complete.
        report.replaced = *exists && force_;
        mbox::WriterOptions o;
        o.variant = variant_;
        o.mode = report.replaced ? wrap::FileOutput::Mode::overwrite : wrap::FileOutput::Mode::create_new;
        auto w = mbox::MboxWriter::create_in(*dir, name, o);
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
    // Whether a file is at name; a link or anything but a regular file there is an error.
    static Result<bool> existing_file(const wrap::DirectoryHandle& dir, const std::string& name) {
        auto type = dir.entry_type(name);
        if (!type) return type.error();
        if (*type == wrap::EntryType::none) return false;
        if (*type != wrap::EntryType::regular) return wrap::unexpected_entry(dir.path_of(name), *type, "a regular file");
        return true;
    }

    mbox::Variant variant_;
    bool force_;
    wrap::DirectoryHandle dest_;
    std::optional<mbox::MboxWriter> writer_;
};

}  // namespace

std::unique_ptr<ExportSink> make_mbox_sink(mbox::Variant variant, bool force) {
    return std::make_unique<MboxSink>(variant, force);
}

}  // namespace mailferry::pipeline
