// Shared by the [mbox] unit tests (and the other format tests): temporary
// files, reading a whole mbox into memory, walking the generated corpus'
// manifest. Where the corpora are: test_corpus.hpp.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "formats/mbox/mbox_reader.hpp"
#include "formats/mbox/mbox_writer.hpp"
#include "test_corpus.hpp"

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

// The round trip file -> read -> write mboxrd -> read: the same messages, flags and dates, in order.
inline void check_round_trip(const std::string& path) {
    ReadAll first = read_all(path);
    REQUIRE(first.status.ok());
    TempDir tmp;
    std::string out = tmp.file("out.mbox");
    auto w = mailferry::mbox::MboxWriter::open(out);
    REQUIRE(w.ok());
    for (const auto& m : first.messages) {
        auto a = w->append(m.bytes, m.date.value_or(0), m.sender);
        REQUIRE(a.ok());
        // Only a message cut mid-line (a truncated file) gets a line break added.
        CHECK(a->newline_added == (m.bytes.empty() || m.bytes.back() != '\n'));
    }
    REQUIRE(w->close().ok());
    mailferry::mbox::ReaderOptions rd;
    rd.variant = mailferry::mbox::Variant::mboxrd;  // what we wrote
    ReadAll second = read_all(out, rd);
    REQUIRE(second.status.ok());
    REQUIRE(second.messages.size() == first.messages.size());
    for (size_t i = 0; i < first.messages.size(); ++i) {
        CAPTURE(i);
        std::string want = first.messages[i].bytes;
        if (want.empty() || want.back() != '\n') want += '\n';
        CHECK(second.messages[i].bytes == want);
        CHECK(second.messages[i].flags == first.messages[i].flags);
        if (first.messages[i].date) CHECK(second.messages[i].date == first.messages[i].date);
    }
}

}  // namespace mbox_test

// The generated corpus' MANIFEST.json (tests/corpus/README.md), as the unit tests walk it.
namespace gen {

using nlohmann::json;

// A path below the generated corpus.
inline std::string path(const std::string& relative) {
    return mailferry::test::generated_corpus_dir() + "/" + relative;
}

inline bool has(const json& list, const std::string& value) {
    for (const auto& v : list)
        if (v == value) return true;
    return false;
}

// The container at this path (e.g. "mbox/quirks/no-date.mbox"); a test failure when the manifest has none.
inline const json& container(const std::string& relative) {
    for (const auto& c : mailferry::test::generated_manifest().at("containers"))
        if (c.at("path") == relative) return c;
    FAIL("MANIFEST.json has no container " << relative);
    throw std::logic_error("unreachable");
}

inline std::vector<const json*> containers(const std::string& kind) {
    std::vector<const json*> out;
    for (const auto& c : mailferry::test::generated_manifest().at("containers"))
        if (c.at("kind") == kind) out.push_back(&c);
    return out;
}

// Every message record of a container: its own, or those of all its folders.
inline std::vector<const json*> records(const json& c) {
    std::vector<const json*> out;
    if (c.contains("messages"))
        for (const auto& m : c.at("messages")) out.push_back(&m);
    if (c.contains("folders"))
        for (const auto& f : c.at("folders"))
            for (const auto& m : f.at("messages")) out.push_back(&m);
    return out;
}

// The records (of every container) with this trait.
inline std::vector<const json*> with_trait(const std::string& trait) {
    std::vector<const json*> out;
    for (const auto& c : mailferry::test::generated_manifest().at("containers"))
        for (const json* r : records(c))
            if (has(r->at("traits"), trait)) out.push_back(r);
    return out;
}

}  // namespace gen
