// The formats export writes (export.hpp), behind one interface: the export
// driver walks folders and messages, a sink turns them into files below DEST.
// Internal to the pipeline. A sink is used by one thread.
//
// DEST is opened once (wrap::DirectoryHandle); a sink makes and opens
// everything below it relative to that handle, never by a path string: a
// symbolic link planted anywhere below DEST is refused, naming it, and
// nothing is written through it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailferry/cache_reader.hpp"
#include "formats/mbox/mbox_reader.hpp"
#include "pipeline/export.hpp"
#include "pipeline/export_paths.hpp"
#include "wrap/directory_handle.hpp"

namespace mailferry::pipeline {

struct ExportFolder {
    cache::FolderRecord record;
    std::string path;  // relative to DEST; "" is DEST itself (the Maildir++ INBOX)
};

class ExportSink {
public:
    virtual ~ExportSink() = default;
    // Appends to `existing` every file (path under DEST) that exporting the
    // folder would replace. Writes nothing. Must name files exactly as
    // begin_folder/add will, given the same folder and messages. A link or
    // other unexpected file type on the way is an error (unexpected_entry).
    virtual Status find_existing(cache::CacheReader& cache, const wrap::DirectoryHandle& dest, const ExportFolder& folder,
                                 std::vector<std::string>& existing) = 0;
    // DEST, made and opened: before the first begin_folder.
    virtual Status start(wrap::DirectoryHandle dest) = 0;
    // Creates what the folder needs (directories 0700; the mbox file).
    virtual Status begin_folder(const ExportFolder& folder, ExportFolderReport& report) = 0;
    // Writes one message (bytes exactly as cached) and counts it in report.
    // An error of radius message concerns this message only; any other stops the export.
    virtual Status add(const cache::StoredMessage& message, std::string_view bytes, ExportFolderReport& report) = 0;
    // Makes the folder's files durable.
    virtual Status end_folder(ExportFolderReport& report) = 0;
};

std::unique_ptr<ExportSink> make_mbox_sink(mbox::Variant variant, bool force);
// cache: read for the keywords of each folder before its first message.
std::unique_ptr<ExportSink> make_maildir_sink(cache::CacheReader& cache, const ExportOptions& options);
// paths: the folder directories given out, so that no message file takes a subfolder's name.
std::unique_ptr<ExportSink> make_eml_sink(bool force, const ExportPaths& paths);

}  // namespace mailferry::pipeline
