// Modified UTF-7 (src/core/mutf7.hpp): the input is a folder name,
// taken both as UTF-8 to encode and as modified UTF-7 to decode. Properties,
// so that logic bugs show and not only crashes:
//  - encode writes printable ASCII only, and decode takes it back: for valid
//    UTF-8 exactly the input, for anything else valid UTF-8;
//  - what decode accepts is valid UTF-8 and survives encode + decode.
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "fuzz_targets.hpp"
#include "core/mutf7.hpp"

namespace mailferry::fuzz {

void mutf7_one(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    std::string encoded = mutf7_encode(input);
    for (char c : encoded) MF_FUZZ_CHECK(c >= 0x20 && c <= 0x7E);
    auto back = mutf7_decode(encoded);
    MF_FUZZ_CHECK(back.has_value());
    MF_FUZZ_CHECK(strict_utf8(*back));
    if (strict_utf8(input)) MF_FUZZ_CHECK(*back == input);

    if (auto decoded = mutf7_decode(input)) {
        MF_FUZZ_CHECK(strict_utf8(*decoded));
        auto again = mutf7_decode(mutf7_encode(*decoded));
        MF_FUZZ_CHECK(again.has_value() && *again == *decoded);
    }
}

}  // namespace mailferry::fuzz
