// Thin RAII over glibc's iconv(3): one conversion descriptor, converting whole
// buffers and replacing what cannot be converted instead of stopping.
//
// Ownership: the converter owns its iconv_t and closes it in the destructor;
// it can be moved, not copied.
// Errors: open() returns nullopt when iconv does not know the pair (no errno
// escapes); convert() never fails: undecodable input is replaced.
// Thread-safety: an iconv_t keeps shift state between calls, so one converter
// per thread. convert() resets that state first, so calls are independent.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mailferry::wrap {

class IconvConverter {
public:
    // iconv_open(to, from). Both names are passed as they are: the caller
    // decides which names are acceptable (mime/charset.cpp allows only a safe
    // alphabet, so no "//TRANSLIT" suffix or path can come from a message).
    static std::optional<IconvConverter> open(const char* to, const char* from);

    IconvConverter(IconvConverter&& o) noexcept;
    IconvConverter& operator=(IconvConverter&& o) noexcept;
    IconvConverter(const IconvConverter&) = delete;
    IconvConverter& operator=(const IconvConverter&) = delete;
    ~IconvConverter();

    // How many input bytes an invalid sequence (EILSEQ) costs.
    enum class Skip {
        one,      // byte encodings and multibyte ones that resynchronise by themselves
        two,      // UTF-16
        four,     // UTF-32
        iso2022,  // two when both next bytes are in 0x21..0x7E (inside a two-byte set, so
                  // skipping one would pair every later byte wrongly), else one
    };

    // Appends the conversion of `in` to `out`. An invalid sequence costs the
    // bytes `skip` says and appends `replacement`; an incomplete sequence at the
    // end appends it once. `out` grows by at most max_out bytes and never ends
    // inside a character; returns false when that cap stopped the conversion.
    bool convert(std::string_view in, std::string& out, std::string_view replacement, Skip skip = Skip::one,
                 size_t max_out = std::string::npos);

private:
    explicit IconvConverter(void* cd) : cd_(cd) {}
    void* cd_ = nullptr;  // iconv_t, kept opaque so that <iconv.h> stays in wrap/
};

}  // namespace mailferry::wrap
