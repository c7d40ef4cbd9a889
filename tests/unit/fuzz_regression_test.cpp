// Every input a fuzzer once crashed on (tests/fuzz/regressions/<target>/),
// fed to the same function the fuzzer calls: a crash, a sanitizer report or a
// broken property (an abort) fails the test. Runs in every build, no libFuzzer.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_targets.hpp"

namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("fuzz regressions: every kept crasher runs clean through its target", "[fuzz]") {
    const fs::path root = fs::path(MAILFERRY_SOURCE_DIR) / "tests/fuzz/regressions";
    REQUIRE(fs::is_directory(root));
    size_t inputs = 0;
    for (const auto& target : mailferry::fuzz::all_targets()) {
        const fs::path dir = root / target.name;
        if (!fs::is_directory(dir)) continue;
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (!entry.is_regular_file() || entry.path().filename().string().front() == '.') continue;  // .gitkeep
            // Named in the report if the target aborts or a sanitizer stops it.
            INFO(target.name << "/" << entry.path().filename().string());
            std::string bytes = read_bytes(entry.path());
            target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
            ++inputs;
        }
    }
    CHECK(inputs > 0);
}

TEST_CASE("fuzz regressions: each folder is a target the fuzzers know", "[fuzz]") {
    const fs::path root = fs::path(MAILFERRY_SOURCE_DIR) / "tests/fuzz/regressions";
    for (const auto& entry : fs::directory_iterator(root)) {
        bool known = false;
        for (const auto& target : mailferry::fuzz::all_targets()) known |= entry.path().filename() == target.name;
        CAPTURE(entry.path().filename().string());
        CHECK(known);
    }
}
