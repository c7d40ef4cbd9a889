#include "pipeline/attachment_saver.hpp"

#include "pipeline/export_paths.hpp"

namespace mailferry::pipeline {
namespace {

// Past this many taken names something is wrong with the directory, not with the mail.
constexpr int kMaxTries = 10000;

// An extension for the content types mail carries most, so that a part
// without a name opens with the right program. Others get none.
std::string_view extension_for(std::string_view content_type) {
    struct Entry {
        std::string_view type, extension;
    };
    static constexpr Entry kTable[] = {
        {"application/pdf", ".pdf"},        {"application/zip", ".zip"},         {"application/gzip", ".gz"},
        {"application/x-gzip", ".gz"},      {"application/msword", ".doc"},      {"application/pgp-signature", ".asc"},
        {"application/pkcs7-signature", ".p7s"}, {"application/x-pkcs7-signature", ".p7s"},
        {"application/ms-tnef", ".dat"},    {"application/octet-stream", ".bin"}, {"image/png", ".png"},
        {"image/jpeg", ".jpg"},             {"image/gif", ".gif"},               {"image/svg+xml", ".svg"},
        {"text/plain", ".txt"},             {"text/html", ".html"},              {"text/calendar", ".ics"},
        {"text/csv", ".csv"},               {"text/rfc822-headers", ".txt"},     {"message/rfc822", ".eml"},
        {"message/global", ".eml"},         {"message/news", ".eml"},            {"message/delivery-status", ".txt"},
        {"message/disposition-notification", ".txt"}, {"audio/mpeg", ".mp3"},   {"video/mp4", ".mp4"},
    };
    for (const Entry& e : kTable)
        if (e.type == content_type) return e.extension;
    return {};
}

}  // namespace

std::string attachment_file_name(std::string_view name, std::string_view content_type, size_t n) {
    if (!name.empty()) return safe_file_name(name);
    return "attachment-" + std::to_string(n) + std::string(extension_for(content_type));
}

std::string numbered_file_name(const std::string& file, int n) {
    std::string suffix = " (" + std::to_string(n) + ")";
    size_t dot = file.rfind('.');
    if (dot == std::string::npos || dot == 0) return file + suffix;
    return file.substr(0, dot) + suffix + file.substr(dot);
}

Result<AttachmentSaver> AttachmentSaver::open(const std::string& dir) {
    auto fd = wrap::open_directory(dir);
    if (!fd) return fd.error();
    return AttachmentSaver(dir, std::move(*fd));
}

Result<SavedAttachment> AttachmentSaver::save(const mime::Attachment& a) {
    const std::string first = attachment_file_name(a.name, a.content_type, a.name.empty() ? ++unnamed_ : 0);
    for (int n = 1; n <= kMaxTries; ++n) {
        std::string file = n == 1 ? first : numbered_file_name(first, n);
        auto fd = wrap::create_new_file_in(dir_fd_, file, dir_ + "/" + file);
        if (!fd) return fd.error();
        if (!fd->valid()) continue;  // taken: by a file, a directory or a link, ours or not
        MF_TRY(write_whole(std::move(*fd), file, a.bytes));
        return SavedAttachment{file, a.name, a.content_type, a.bytes.size(), a.decoded};
    }
    return make_error(ErrorKind::internal, Radius::fatal,
                      "no free file name for " + first + " in " + dir_ + " after " + std::to_string(kMaxTries) + " tries");
}

Status AttachmentSaver::write_whole(wrap::UniqueFd fd, const std::string& file, std::string_view bytes) {
    const std::string path = dir_ + "/" + file;
    Status written = wrap::write_all(fd.get(), bytes.data(), bytes.size(), path);
    if (written) written = wrap::fsync_fd(fd.get(), path);
    if (!written) {
        fd = wrap::UniqueFd();
        (void)wrap::remove_file_in(dir_fd_, file, path);  // best effort: the write error is what the user needs
    }
    return written;
}

Status AttachmentSaver::finish() { return wrap::fsync_fd(dir_fd_.get(), dir_); }

uint64_t AttachmentsSaved::bytes() const {
    uint64_t n = 0;
    for (const auto& s : saved) n += s.bytes;
    return n;
}

AttachmentsSaved save_attachments(std::string_view message, const std::string& dir,
                                  const std::function<void(const SavedAttachment&)>& on_saved) {
    AttachmentsSaved r;
    r.directory = dir;
    std::optional<AttachmentSaver> saver;
    auto save_one = [&](const mime::Attachment& a) -> Status {
        if (!saver) {
            MF_TRY(make_output_directory(dir, r.warnings));
            auto opened = AttachmentSaver::open(dir);
            if (!opened) return opened.error();
            saver.emplace(std::move(*opened));
        }
        auto saved = saver->save(a);
        if (!saved) return saved.error();
        if (on_saved) on_saved(*saved);
        r.saved.push_back(std::move(*saved));
        return {};
    };
    r.scan = mime::for_each_attachment(message, [&](const mime::Attachment& a) {
        Status ok = save_one(a);
        if (!ok) r.failure = ok.error();
        return ok.ok();
    });
    if (saver && !r.failure)
        if (Status synced = saver->finish(); !synced) r.failure = synced.error();
    return r;
}

}  // namespace mailferry::pipeline
