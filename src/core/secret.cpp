#include "core/secret.hpp"

#include <string.h>

namespace mailferry {

void wipe(std::string& s) noexcept {
    // explicit_bzero, unlike memset, is not removed by the optimiser when the
    // buffer is about to be freed. capacity() bytes are the string's own.
    if (s.capacity() > 0) ::explicit_bzero(s.data(), s.capacity());
    s.clear();
}

SecretString& SecretString::operator=(const SecretString& other) {
    if (this != &other) {
        wipe(value_);
        value_ = other.value_;
    }
    return *this;
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
    if (this != &other) {
        wipe(value_);
        value_ = other.value_;
        wipe(other.value_);
    }
    return *this;
}

void SecretString::reserve(size_t n) {
    if (n <= value_.capacity()) return;
    std::string bigger;
    bigger.reserve(n);
    bigger = value_;
    wipe(value_);
    value_.swap(bigger);
}

void SecretString::append(std::string_view more) {
    if (value_.size() + more.size() > value_.capacity()) reserve(2 * (value_.size() + more.size()));
    value_.append(more);
}

SecretString first_line(const SecretString& text) {
    std::string_view all = text.reveal();
    std::string_view line = all.substr(0, all.find('\n'));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    SecretString out;
    out.reserve(line.size() + 1);
    out.append(line);
    return out;
}

}  // namespace mailferry
