// Small file helpers that unit and integration tests share: a whole file as
// bytes, a file's permission bits, and bytes gzipped (for .gz inputs).
// Failures are test failures (Catch2 REQUIRE), not errors to handle.
#pragma once

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <zlib.h>

#include <fstream>
#include <sstream>
#include <string>

namespace mailferry::test {

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The permission bits (setuid, setgid and sticky included).
inline unsigned mode_of(const std::string& path) {
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// data as one gzip member (RFC 1952), as gzip(1) writes it.
inline std::string gzip(const std::string& data) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, data.size()), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace mailferry::test
