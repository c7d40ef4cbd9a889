// Shared by the [mbox] unit tests: temporary files, reading a whole mbox into
// memory, the dev corpus location.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "formats/mbox/mbox_reader.hpp"

namespace mbox_test {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path;
    TempDir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("mf-mbox-test-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path / name).string(); }
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// One delivered message, copied out of the callback.
struct Got {
    std::string bytes;
    uint64_t offset = 0;
    bool has_from_line = true;
    std::string sender;
    std::optional<int64_t> date;
    mailferry::Flags flags;
    bool old = false;
    std::optional<std::string> gmail_labels;
    bool content_length_used = false;
};

struct ReadAll {
    std::vector<Got> messages;
    mailferry::mbox::ReadReport report;
    mailferry::Status status;

    std::vector<std::string> bytes() const {
        std::vector<std::string> out;
        for (const auto& m : messages) out.push_back(m.bytes);
        return out;
    }
    bool warned(const std::string& fragment) const {
        for (const auto& w : report.warnings)
            if (w.text.find(fragment) != std::string::npos) return true;
        return false;
    }
};

inline ReadAll read_all(const std::string& path, mailferry::mbox::ReaderOptions options = {}) {
    ReadAll r;
    mailferry::mbox::MboxReader reader(path, options);
    r.status = reader.read([&](const mailferry::mbox::MboxMessage& m) {
        r.messages.push_back(Got{std::string(m.bytes), m.offset, m.has_from_line, std::string(m.sender), m.date,
                                 m.flags, m.old, m.gmail_labels, m.content_length_used});
        return mailferry::Status{};
    });
    r.report = reader.report();
    return r;
}

// The dev corpus: $MAILFERRY_CORPUS if set, else MAILFERRY_SOURCE_DIR/../shared/corpus/dev.
inline std::string corpus_dir() {
    if (const char* c = std::getenv("MAILFERRY_CORPUS"); c != nullptr && *c != '\0') return c;
    return fs::path(std::string(MAILFERRY_SOURCE_DIR) + "/../shared/corpus/dev").lexically_normal().string();
}

}  // namespace mbox_test
