// A private scratch directory for one test, removed with everything in it when
// the test ends. New unit tests use this one rather than a TempDir of their own.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace mailferry::test {

class ScratchDir {
public:
    explicit ScratchDir(const std::string& prefix = "mf-test-") {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / (prefix + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all);
    }
    ~ScratchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    std::string operator/(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace mailferry::test
