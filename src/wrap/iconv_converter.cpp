#include "wrap/iconv_converter.hpp"

#include <cerrno>
#include <iconv.h>

#include <algorithm>
#include <utility>

namespace mailferry::wrap {
namespace {

iconv_t handle(void* cd) { return static_cast<iconv_t>(cd); }
const iconv_t kNoHandle = reinterpret_cast<iconv_t>(-1);

size_t skip_length(IconvConverter::Skip skip, const char* p, size_t left) {
    auto printable = [](char c) { return c >= 0x21 && c <= 0x7E; };
    size_t n = 1;
    switch (skip) {
    case IconvConverter::Skip::one: n = 1; break;
    case IconvConverter::Skip::two: n = 2; break;
    case IconvConverter::Skip::four: n = 4; break;
    case IconvConverter::Skip::iso2022: n = left >= 2 && printable(p[0]) && printable(p[1]) ? 2 : 1; break;
    }
    return std::min(n, left);
}

}  // namespace

std::optional<IconvConverter> IconvConverter::open(const char* to, const char* from) {
    iconv_t cd = iconv_open(to, from);
    if (cd == kNoHandle) return std::nullopt;
    return IconvConverter(cd);
}

IconvConverter::IconvConverter(IconvConverter&& o) noexcept : cd_(std::exchange(o.cd_, nullptr)) {}

IconvConverter& IconvConverter::operator=(IconvConverter&& o) noexcept {
    if (this != &o) {
        if (cd_) iconv_close(handle(cd_));
        cd_ = std::exchange(o.cd_, nullptr);
    }
    return *this;
}

IconvConverter::~IconvConverter() {
    if (cd_) iconv_close(handle(cd_));
}

bool IconvConverter::convert(std::string_view in, std::string& out, std::string_view replacement, Skip skip,
                             size_t max_out) {
    const size_t cap = max_out == std::string::npos ? std::string::npos : out.size() + max_out;
    iconv(handle(cd_), nullptr, nullptr, nullptr, nullptr);  // initial shift state (ISO-2022-JP)
    char buf[8192];
    char* inp = const_cast<char*>(in.data());  // iconv's signature; it does not write the input
    size_t inleft = in.size();
    while (inleft > 0) {
        size_t room = std::min(sizeof buf, cap - out.size());
        char* op = buf;
        size_t opleft = room;
        size_t r = iconv(handle(cd_), &inp, &inleft, &op, &opleft);
        int err = r == static_cast<size_t>(-1) ? errno : 0;
        out.append(buf, static_cast<size_t>(op - buf));
        if (err == 0) continue;
        if (err == E2BIG) {
            if (op == buf) return false;  // not even one character fits under the cap
            continue;                     // buf was full: go on
        }
        if (out.size() + replacement.size() > cap) return false;
        out.append(replacement);
        if (err != EILSEQ) return true;  // EINVAL: an incomplete sequence at the end
        size_t n = skip_length(skip, inp, inleft);
        inp += n;
        inleft -= n;
    }
    // Back to the initial shift state: a stateful target (never UTF-8) would write its reset sequence.
    char* op = buf;
    size_t opleft = std::min(sizeof buf, cap - out.size());
    iconv(handle(cd_), nullptr, nullptr, &op, &opleft);
    out.append(buf, static_cast<size_t>(op - buf));
    return true;
}

}  // namespace mailferry::wrap
