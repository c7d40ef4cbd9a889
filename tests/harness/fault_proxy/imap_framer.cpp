#include "imap_framer.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace mailferry::test::fault_proxy {
namespace {

constexpr std::size_t kTailSize = 24;   // "~{" + 12 digits + "+}" + CR, with room
constexpr std::size_t kMaxLiteralDigits = 12;

// "...{123}" / "...{123+}" at the end of a line (CR already stripped).
std::optional<ImapFramer::Literal> literal_marker(std::string_view line) {
    if (line.empty() || line.back() != '}') return std::nullopt;
    line.remove_suffix(1);
    ImapFramer::Literal lit{0, true};
    if (!line.empty() && line.back() == '+') {
        lit.sync = false;
        line.remove_suffix(1);
    }
    std::size_t digits = 0;
    while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[line.size() - 1 - digits])))
        ++digits;
    if (digits == 0 || digits > kMaxLiteralDigits || digits == line.size()) return std::nullopt;
    if (line[line.size() - 1 - digits] != '{') return std::nullopt;
    for (char c : line.substr(line.size() - digits)) lit.size = lit.size * 10 + static_cast<unsigned>(c - '0');
    return lit;
}

std::string next_token(std::string_view& s) {
    std::size_t end = s.find_first_of(" \r\n");
    std::string tok(s.substr(0, end));
    s.remove_prefix(end == std::string_view::npos ? s.size() : end);
    if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    return tok;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

void ImapFramer::note_line_bytes(std::string_view bytes) {
    if (in_first_line_ && head_.size() < kHeadSize)
        head_.append(bytes.substr(0, kHeadSize - head_.size()));
    if (bytes.size() >= kTailSize) {
        tail_.assign(bytes.substr(bytes.size() - kTailSize));
    } else {
        tail_.append(bytes);
        if (tail_.size() > kTailSize) tail_.erase(0, tail_.size() - kTailSize);
    }
}

std::size_t ImapFramer::feed(std::string_view data, Event& ev) {
    ev = Event{};
    std::size_t i = 0;
    while (i < data.size()) {
        if (state_ == State::pending) return i;
        if (state_ == State::literal) {
            std::uint64_t take = std::min<std::uint64_t>(literal_left_, data.size() - i);
            i += take;
            literal_left_ -= take;
            if (literal_left_ == 0) state_ = State::line;
            continue;
        }
        if (!in_message_) {
            in_message_ = true;
            in_first_line_ = true;
            head_.clear();
        }
        const char* start = data.data() + i;
        const void* lf = std::memchr(start, '\n', data.size() - i);
        if (lf == nullptr) {
            note_line_bytes(data.substr(i));
            return data.size();
        }
        std::size_t len = static_cast<std::size_t>(static_cast<const char*>(lf) - start);
        note_line_bytes(data.substr(i, len));
        i += len + 1;
        std::string_view line = tail_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        ev.line_end = true;
        ev.literal = literal_marker(line);
        tail_.clear();
        in_first_line_ = false;
        if (ev.literal) {
            state_ = State::pending;
            literal_left_ = ev.literal->size;
        } else {
            ev.message_end = true;
            in_message_ = false;
        }
        return i;
    }
    // A zero-length literal just accepted ends here, before any further byte.
    if (state_ == State::literal && literal_left_ == 0) state_ = State::line;
    return i;
}

void ImapFramer::accept_literal() {
    if (state_ != State::pending) return;
    state_ = literal_left_ == 0 ? State::line : State::literal;
}

void ImapFramer::reject_literal() {
    if (state_ != State::pending) return;
    state_ = State::line;
    literal_left_ = 0;
    in_message_ = false;
}

MessageHead parse_head(std::string_view head) {
    MessageHead h;
    h.tag = next_token(head);
    h.name = upper(next_token(head));
    if (h.name == "UID") {
        std::string sub = upper(next_token(head));
        if (!sub.empty()) h.name += " " + sub;
    }
    return h;
}

}  // namespace mailferry::test::fault_proxy
