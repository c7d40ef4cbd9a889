// A private scratch directory for one test, removed with everything in it when
// the test ends. New unit tests use this one rather than a TempDir of their own.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace mailferry::test {

class ScratchDir {
public:
    // in_memory: on /dev/shm where there is one. The engine tests run a cache
    // through dozens of runs each, and on a busy disk its fsyncs, not the
    // code under test, took their time; durability has tests of its own on
    // the temporary directory's file system.
    enum Storage { temp_dir, in_memory };

    explicit ScratchDir(const std::string& prefix = "mf-test-", Storage storage = temp_dir) {
        std::random_device rd;
        std::error_code ec;
        std::filesystem::path base = std::filesystem::temp_directory_path();
        if (storage == in_memory && std::filesystem::is_directory("/dev/shm", ec)) base = "/dev/shm";
        path_ = base / (prefix + std::to_string(rd()) + std::to_string(rd()));
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
