// Where the tests find mail.
//
// Two corpora:
//  - the generated corpus (tests/corpus/make-corpus): hard mail that our own
//    generator makes at build time, deterministic, always present. Its
//    MANIFEST.json says what each file holds (message counts, traits, words),
//    so tests assert on what the generator intended. Most tests use it.
//  - the real-mail corpus: mail from public sources that developers may have
//    beside the checkout ($MAILFERRY_CORPUS, else ../shared/corpus/dev). A
//    user's clone has none, so a real-mail test that finds it absent prints
//    the skip marker below and returns; ctest reports it skipped
//    (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt), not passed.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

namespace mailferry::test {

// The marker ctest looks for (tests/CMakeLists.txt); keep the two in step.
inline constexpr const char* kSkipMarker = "MAILFERRY_TEST_SKIPPED:";

// The generated corpus: built with the tests (target test_corpus).
inline std::string generated_corpus_dir() { return MAILFERRY_GENERATED_CORPUS; }

// The generated corpus' MANIFEST.json, parsed once.
inline const nlohmann::json& generated_manifest() {
    static const nlohmann::json manifest = [] {
        std::string path = generated_corpus_dir() + "/MANIFEST.json";
        std::ifstream in(path);
        if (!in) throw std::runtime_error("generated corpus manifest missing: " + path);
        return nlohmann::json::parse(in);
    }();
    return manifest;
}

// The real-mail corpus, if it is at hand: $MAILFERRY_CORPUS if set (a folder
// that does not exist hides it, as tests/run-all.sh does on purpose), else
// ../shared/corpus/dev beside the checkout.
inline std::optional<std::string> real_corpus_dir() {
    namespace fs = std::filesystem;
    std::string dir;
    if (const char* c = std::getenv("MAILFERRY_CORPUS"); c != nullptr && *c != '\0')
        dir = c;
    else
        dir = fs::path(std::string(MAILFERRY_SOURCE_DIR) + "/../shared/corpus/dev").lexically_normal().string();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return std::nullopt;
    return dir;
}

// Prints the skip marker with the reason; the test then returns.
inline void report_skipped(const std::string& why) {
    std::cout << kSkipMarker << ' ' << why << std::endl;
}

}  // namespace mailferry::test

// In a real-mail test: binds `var` to the real corpus' folder, or reports the
// test skipped and returns from it.
#define MAILFERRY_REQUIRE_REAL_CORPUS(var)                                                                 \
    auto var##_opt_ = ::mailferry::test::real_corpus_dir();                                                \
    if (!var##_opt_) {                                                                                     \
        ::mailferry::test::report_skipped(                                                                 \
            "real-mail corpus absent (set MAILFERRY_CORPUS or place shared/corpus/dev beside the clone)"); \
        return;                                                                                            \
    }                                                                                                      \
    const std::string var = *var##_opt_
