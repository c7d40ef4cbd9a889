#include "wrap/secret_file.hpp"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wrap/posix_file.hpp"

namespace mailferry::wrap {
namespace {

// A secret is a line or a small JSON document; a private key a few KB.
constexpr size_t kMaxSecretBytes = 1 << 20;

Error refused(const std::string& what, const std::string& path, const std::string& why) {
    return make_error(ErrorKind::usage, Radius::fatal, what + " " + path + " " + why);
}

// The warning for a readable file, or the error for everything refused.
Result<std::string> judge(const struct stat& st, const std::string& path, const std::string& what,
                          OthersMayRead others) {
    if (!S_ISREG(st.st_mode)) return refused(what, path, "is not a regular file");
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        return refused(what, path,
                       "belongs to another user (uid " + std::to_string(st.st_uid) +
                           "): refused, whoever owns it chooses what it says");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return refused(what, path, "can be changed by other users: refused (chmod 600 it)");
    if (st.st_mode & (S_IRGRP | S_IROTH)) {
        if (others == OthersMayRead::refuse)
            return refused(what, path,
                           "can be read by other users: its secrets may have leaked (chmod 600 it, and "
                           "consider them compromised)");
        return "warning: " + path + " can be read by other users (chmod 600 it)";
    }
    return std::string();
}

}  // namespace

Result<std::string> check_secret_file(const std::string& path, const std::string& what, OthersMayRead others) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return errno_error("cannot read " + what, path);
    return judge(st, path, what, others);
}

Result<SecretFile> read_secret_file(const std::string& path, const std::string& what, OthersMayRead others) {
    // O_NONBLOCK: a FIFO planted under the name must not hang the open; fstat refuses it next.
    auto fd = open_file(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (!fd) {
        Error e = fd.error();
        e.message = "cannot read " + what + ": " + e.message;
        return e;
    }
    struct stat st;
    if (::fstat(fd->get(), &st) != 0) return errno_error("cannot read " + what, path);
    auto warning = judge(st, path, what, others);
    if (!warning) return warning.error();
    if (static_cast<uint64_t>(st.st_size) > kMaxSecretBytes)
        return refused(what, path, "is larger than 1 MB: not a secret file");

    SecretFile out;
    out.warning = std::move(*warning);
    out.text.reserve(static_cast<size_t>(st.st_size) + 1);
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd->get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::explicit_bzero(buf, sizeof buf);
            return errno_error("cannot read " + what, path);
        }
        if (n == 0) break;
        if (out.text.size() + static_cast<size_t>(n) > kMaxSecretBytes) {
            ::explicit_bzero(buf, sizeof buf);
            return refused(what, path, "is larger than 1 MB: not a secret file");
        }
        out.text.append(std::string_view(buf, static_cast<size_t>(n)));
    }
    ::explicit_bzero(buf, sizeof buf);
    return out;
}

}  // namespace mailferry::wrap
