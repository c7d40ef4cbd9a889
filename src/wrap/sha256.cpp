#include "wrap/sha256.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "wrap/posix_file.hpp"

namespace mailferry::wrap {
namespace {

std::string to_hex(const unsigned char* digest, unsigned len) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned i = 0; i < len; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xF];
    }
    return out;
}

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
    return to_hex(digest, len);
}

Result<FileDigest> sha256_file(const std::string& path) {
    auto fd = open_file(path, O_RDONLY | O_CLOEXEC);
    if (!fd) return fd.error();
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
        return make_error(ErrorKind::internal, Radius::fatal, "cannot start SHA-256");
    std::vector<char> buf(1 << 20);
    FileDigest d;
    for (;;) {
        ssize_t n = ::read(fd->get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("cannot read", path);
        if (n == 0) break;
        EVP_DigestUpdate(ctx.get(), buf.data(), size_t(n));
        d.size += uint64_t(n);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), digest, &len);
    d.hex = to_hex(digest, len);
    return d;
}

}  // namespace mailferry::wrap
