// A tree of message files (.eml, .msg, .txt, ...: one message per file, any
// name) as a MailSource.
//
// Folders: the files directly in the root directory go to the root's folder
// (options.folder, else the directory's own name); a file in a subdirectory
// goes to that subdirectory's path below it ("eml/enmime"). A single file
// given as the root goes to options.folder, else INBOX. Hidden files and
// directories are skipped, symbolic links to directories not followed.
//
// A message is the file's bytes, except that a first line that is an mbox
// From_ line (a file saved from an mbox, "From sender date") is the envelope,
// not part of the message: it is left out and its date is the received date.
// Otherwise the received date is the Date: header's, else the file's mtime.
// EML files carry no flags.
//
// Identity: a message's key is the SHA-256 of its bytes, so an import of the
// same files again adds nothing, wherever they moved within the folder, and two
// files with the same message in one folder are imported once (with a warning).
// Listing a folder therefore reads each of its files once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "formats/file_list_source.hpp"

namespace mailferry::eml {

struct EmlSourceOptions {
    std::string root;    // a directory, or one message file
    std::string folder;  // UTF-8; see above
};

class EmlSource final : public formats::FileListSource {
public:
    EmlSource(EmlSourceOptions options, formats::SourceContext context);

    Result<std::vector<SourceFolder>> list_folders() override;

private:
    Result<std::vector<formats::FileEntry>> entries_of(const SourceFolder& folder) override;
    // One file's message, or nullopt (reported in the notes) when it has none to import.
    std::optional<formats::FileEntry> entry_of(const std::string& path);
    std::optional<std::string_view> message_of(const formats::FileEntry& entry, std::string_view bytes) override;

    EmlSourceOptions options_;
    std::map<std::string, std::vector<std::string>> files_;  // raw folder name -> files, sorted
};

// The message in a file's bytes: without a first line that is an mbox From_
// line, whose date (when it has one) is returned too.
struct EmlMessage {
    std::string_view bytes;
    std::optional<int64_t> envelope_date;
    bool had_envelope = false;
};
EmlMessage split_envelope(std::string_view file_bytes);

}  // namespace mailferry::eml
