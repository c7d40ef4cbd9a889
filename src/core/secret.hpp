// A password, token or client secret held in memory. Its bytes are
// overwritten when it is destroyed, reassigned or moved from, so a heap that
// is later reused, swapped out or read by a debugger holds no stale copy.
// Core dumps are already off (wrap/process_limits); this covers the rest of
// the process's life. Copies that libraries make (libetpan's command buffer,
// curl's, nlohmann's) are out of its reach: it narrows the exposure, it does
// not end it.
#pragma once

#include <string>
#include <string_view>

namespace mailferry {

// Overwrites every byte s owns (its whole capacity), then empties it.
void wipe(std::string& s) noexcept;

class SecretString {
public:
    SecretString() = default;
    explicit SecretString(std::string value) : value_(std::move(value)) {}
    SecretString(const SecretString& other) : value_(other.value_) {}
    SecretString(SecretString&& other) noexcept : value_(other.value_) { wipe(other.value_); }
    SecretString& operator=(const SecretString& other);
    SecretString& operator=(SecretString&& other) noexcept;
    ~SecretString() { wipe(value_); }

    // The secret itself, for the one call that sends it. Never log it.
    const std::string& reveal() const { return value_; }
    bool empty() const { return value_.empty(); }
    size_t size() const { return value_.size(); }

    // Appends without leaving a shorter copy behind: the buffer is reserved
    // first, where a growing std::string would free old copies unwiped.
    void append(std::string_view more);
    void reserve(size_t n);

private:
    std::string value_;
};

// The text up to its first line break (LF or CRLF), as a secret of its own.
SecretString first_line(const SecretString& text);

}  // namespace mailferry
