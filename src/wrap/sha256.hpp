// SHA-256 through OpenSSL's EVP interface, as lowercase hex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mailferry/result.hpp"

namespace mailferry::wrap {

std::string sha256_hex(std::string_view bytes);

struct FileDigest {
    std::string hex;
    uint64_t size = 0;
};

// A file's SHA-256, read in 1 MB pieces (memory stays flat whatever its size).
Result<FileDigest> sha256_file(const std::string& path);

}  // namespace mailferry::wrap
