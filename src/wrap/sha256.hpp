// SHA-256 through OpenSSL's EVP interface, as lowercase hex.
#pragma once

#include <string>
#include <string_view>

namespace mailferry::wrap {

std::string sha256_hex(std::string_view bytes);

}  // namespace mailferry::wrap
