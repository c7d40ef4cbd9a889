#include "wrap/file_input.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "wrap/posix_file.hpp"

namespace mailferry::wrap {
namespace {

constexpr size_t input_buffer_size = 256 * 1024;

bool gzip_magic(const unsigned char* p) { return p[0] == 0x1f && p[1] == 0x8b; }

}  // namespace

struct FileInput::Impl {
    std::string path;
    UniqueFd fd;
    bool gz = false;
    bool ended = false;              // no more data: end of input, or after an error
    std::optional<Error> failed;     // reported by every read after the error
    uint64_t out_offset = 0;
    uint64_t file_offset = 0;        // bytes read from the file descriptor
    std::unique_ptr<unsigned char[]> in = std::make_unique<unsigned char[]>(input_buffer_size);
    size_t in_pos = 0, in_len = 0;   // plain files: peeked bytes not handed out yet
    z_stream zs{};
    bool z_ready = false;
    bool member_done = false;
    std::string note;

    ~Impl() {
        if (z_ready) inflateEnd(&zs);
    }

    Result<size_t> read_fd(unsigned char* out, size_t size) {
        for (;;) {
            ssize_t n = ::read(fd.get(), out, size);
            if (n >= 0) {
                file_offset += static_cast<uint64_t>(n);
                return static_cast<size_t>(n);
            }
            if (errno != EINTR) return errno_error("cannot read", path);
        }
    }

    // Moves unread compressed input to the front and reads more after it.
    Result<size_t> refill_compressed() {
        if (zs.avail_in > 0 && zs.next_in != in.get()) std::memmove(in.get(), zs.next_in, zs.avail_in);
        zs.next_in = in.get();
        auto n = read_fd(in.get() + zs.avail_in, input_buffer_size - zs.avail_in);
        if (n) zs.avail_in += static_cast<uInt>(*n);
        return n;
    }

    uint64_t compressed_offset() const { return gz ? file_offset - zs.avail_in : file_offset - (in_len - in_pos); }

    Error gzip_error(const std::string& what) {
        Error e = make_error(ErrorKind::invalid_data, Radius::folder,
                             what + " at compressed offset " + std::to_string(compressed_offset()) +
                                 " (decompressed offset " + std::to_string(out_offset) + ")");
        e.in("file " + path);
        return e;
    }

    // After a member's end: another member follows (reset), or the data ends.
    // Returns false when the data has ended.
    Result<bool> next_member() {
        if (zs.avail_in < 2) {
            auto n = refill_compressed();
            if (!n) return n.error();
        }
        if (zs.avail_in == 0) return false;
        if (zs.avail_in >= 2 && gzip_magic(zs.next_in)) {
            inflateReset(&zs);
            member_done = false;
            return true;
        }
        note = "data after the end of the gzip stream at compressed offset " +
               std::to_string(compressed_offset()) + " ignored";
        return false;
    }

    Result<size_t> read_gzip(char* out, size_t size) {
        zs.next_out = reinterpret_cast<Bytef*>(out);
        zs.avail_out = static_cast<uInt>(size);
        while (zs.avail_out == size) {
            if (member_done) {
                auto more = next_member();
                if (!more) return more.error();
                if (!*more) {
                    ended = true;
                    break;
                }
            }
            if (zs.avail_in == 0) {
                auto n = refill_compressed();
                if (!n) return n.error();
                if (*n == 0) return gzip_error("the gzip stream is truncated");
            }
            int rc = inflate(&zs, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                member_done = true;
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                std::string why = zs.msg != nullptr ? zs.msg : "zlib error " + std::to_string(rc);
                size_t produced = size - zs.avail_out;
                out_offset += produced;  // the error names the offset after the good bytes
                failed = gzip_error("corrupt gzip data (" + why + ")");
                out_offset -= produced;
                ended = true;
                if (produced == 0) return *failed;
                break;
            }
        }
        return size - zs.avail_out;
    }

    Result<size_t> read_plain(char* out, size_t size) {
        if (in_pos < in_len) {
            size_t n = std::min(size, in_len - in_pos);
            std::memcpy(out, in.get() + in_pos, n);
            in_pos += n;
            return n;
        }
        auto n = read_fd(reinterpret_cast<unsigned char*>(out), size);
        if (n && *n == 0) ended = true;
        return n;
    }
};

FileInput::FileInput(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FileInput::FileInput(FileInput&&) noexcept = default;
FileInput& FileInput::operator=(FileInput&&) noexcept = default;
FileInput::~FileInput() = default;

Result<FileInput> FileInput::open(const std::string& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    auto fd = open_file(path, O_RDONLY);
    if (!fd) return fd.error();
    impl->fd = std::move(*fd);
    // Peek until two bytes are in (or the file ends): enough for the magic.
    while (impl->in_len < 2) {
        auto n = impl->read_fd(impl->in.get() + impl->in_len, input_buffer_size - impl->in_len);
        if (!n) return n.error();
        if (*n == 0) break;
        impl->in_len += *n;
    }
    if (impl->in_len >= 2 && gzip_magic(impl->in.get())) {
        impl->gz = true;
        impl->zs.next_in = impl->in.get();
        impl->zs.avail_in = static_cast<uInt>(impl->in_len);
        impl->in_len = 0;
        // 16 + MAX_WBITS: gzip framing only (the magic said so).
        if (inflateInit2(&impl->zs, 16 + MAX_WBITS) != Z_OK)
            return make_error(ErrorKind::internal, Radius::fatal, "zlib inflateInit2 failed for " + path);
        impl->z_ready = true;
    }
    return FileInput(std::move(impl));
}

Result<size_t> FileInput::read(char* out, size_t size) {
    Impl& s = *impl_;
    if (s.failed) return *s.failed;
    if (s.ended || size == 0) return size_t{0};
    auto n = s.gz ? s.read_gzip(out, size) : s.read_plain(out, size);
    if (!n) {
        s.failed = n.error();
        s.ended = true;
        return n.error();
    }
    s.out_offset += *n;
    return *n;
}

Status FileInput::skip(uint64_t n) {
    Impl& s = *impl_;
    if (!s.gz) {
        uint64_t peeked = std::min<uint64_t>(n, s.in_len - s.in_pos);
        s.in_pos += static_cast<size_t>(peeked);
        s.out_offset += peeked;
        n -= peeked;
        struct stat st;
        if (n == 0) return {};
        if (::fstat(s.fd.get(), &st) != 0) return errno_error("cannot stat", s.path);
        uint64_t left = static_cast<uint64_t>(st.st_size) > s.file_offset
                            ? static_cast<uint64_t>(st.st_size) - s.file_offset
                            : 0;
        uint64_t step = std::min(n, left);
        if (::lseek(s.fd.get(), static_cast<off_t>(step), SEEK_CUR) < 0) return errno_error("cannot seek in", s.path);
        s.file_offset += step;
        s.out_offset += step;
        return {};
    }
    auto scratch = std::make_unique<char[]>(input_buffer_size);
    while (n > 0) {
        auto got = read(scratch.get(), static_cast<size_t>(std::min<uint64_t>(n, input_buffer_size)));
        if (!got) return got.error();
        if (*got == 0) break;
        n -= *got;
    }
    return {};
}

bool FileInput::gzip() const { return impl_->gz; }
const std::string& FileInput::path() const { return impl_->path; }
uint64_t FileInput::offset() const { return impl_->out_offset; }
uint64_t FileInput::compressed_offset() const { return impl_->compressed_offset(); }
const std::string& FileInput::trailing_note() const { return impl_->note; }

}  // namespace mailferry::wrap
