#include "formats/maildir/dovecot_keywords.hpp"

#include <algorithm>
#include <charconv>

#include "core/ascii.hpp"

namespace mailferry::maildir {
namespace {

using ascii::iequals;

}  // namespace

bool DovecotKeywords::writable(std::string_view keyword) {
    if (keyword.empty() || keyword[0] == '\\') return false;
    for (char c : keyword) {
        auto uc = static_cast<unsigned char>(c);
        if (uc <= 0x20 || uc == 0x7F) return false;
    }
    return true;
}

DovecotKeywords DovecotKeywords::parse(std::string_view text) {
    DovecotKeywords out;
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        size_t space = line.find(' ');
        if (space == std::string_view::npos) continue;
        size_t index = kMaxKeywords;
        auto [p, ec] = std::from_chars(line.data(), line.data() + space, index);
        std::string_view name = line.substr(space + 1);
        if (ec != std::errc() || p != line.data() + space || index >= kMaxKeywords || !writable(name)) continue;
        out.names_[index] = std::string(name);
    }
    return out;
}

std::optional<char> DovecotKeywords::letter_of(std::string_view keyword) const {
    for (size_t i = 0; i < kMaxKeywords; ++i)
        if (!names_[i].empty() && iequals(names_[i], keyword)) return static_cast<char>('a' + i);
    return std::nullopt;
}

std::optional<char> DovecotKeywords::assign(const std::string& keyword) {
    if (!writable(keyword)) return std::nullopt;
    if (auto have = letter_of(keyword)) return have;
    auto free = std::find_if(names_.begin(), names_.end(), [](const std::string& n) { return n.empty(); });
    if (free == names_.end()) return std::nullopt;
    *free = keyword;
    changed_ = true;
    return static_cast<char>('a' + (free - names_.begin()));
}

const std::string& DovecotKeywords::keyword_of(char letter) const {
    static const std::string none;
    if (letter < 'a' || letter > 'z') return none;
    return names_[static_cast<size_t>(letter - 'a')];
}

std::string DovecotKeywords::letters(const Flags& flags, std::vector<std::string>* without) const {
    std::string out;
    for (const auto& k : flags.keywords) {
        auto letter = letter_of(k);
        if (!letter) {
            if (without) without->push_back(k);
            continue;
        }
        if (out.find(*letter) == std::string::npos) out += *letter;  // "Foo" and "foo": one keyword
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string DovecotKeywords::serialize() const {
    std::string out;
    for (size_t i = 0; i < kMaxKeywords; ++i)
        if (!names_[i].empty()) out += std::to_string(i) + " " + names_[i] + "\n";
    return out;
}

bool DovecotKeywords::empty() const {
    return std::all_of(names_.begin(), names_.end(), [](const std::string& n) { return n.empty(); });
}

}  // namespace mailferry::maildir
