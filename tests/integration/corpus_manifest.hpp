// Lookups in the generated corpus' MANIFEST.json (tests/common/test_corpus.hpp)
// for the integration tests: the generator says what each container holds, so
// a test asserts on that instead of on counts pinned by hand.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>

#include "test_corpus.hpp"

namespace mailferry::test {

// The generated Maildir++ tree, as MANIFEST.json names its container.
inline const std::string kMaildirppContainer = "maildir/dovecot-maildirpp";

// One container's record, by its path below the corpus root; fails the test if the manifest has none.
inline const nlohmann::json& manifest_container(const std::string& path) {
    for (const auto& c : generated_manifest().at("containers"))
        if (c.at("path").get<std::string>() == path) return c;
    FAIL("MANIFEST.json has no container " << path);
    throw;  // not reached: FAIL throws
}

// A Maildir container's folders: IMAP name (UTF-8) -> the folder's record.
inline std::map<std::string, nlohmann::json> manifest_folders(const std::string& container) {
    std::map<std::string, nlohmann::json> out;
    for (const auto& f : manifest_container(container).at("folders")) out[f.at("name").get<std::string>()] = f;
    return out;
}

// The messages a container holds: an mbox's records, or every Maildir folder's.
inline size_t manifest_message_count(const std::string& container) {
    const auto& c = manifest_container(container);
    if (c.contains("messages")) return c.at("messages").size();
    size_t n = 0;
    for (const auto& f : c.at("folders")) n += f.at("messages").size();
    return n;
}

// The messages of one folder (IMAP name, UTF-8) of a Maildir container.
inline size_t manifest_folder_count(const std::string& container, const std::string& folder) {
    auto folders = manifest_folders(container);
    REQUIRE(folders.count(folder) == 1);
    return folders.at(folder).at("messages").size();
}

}  // namespace mailferry::test
