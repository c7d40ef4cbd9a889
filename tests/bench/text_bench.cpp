// How fast extract_text reads real mail, next to SHA-256 of the same bytes
// (which fetch computes for every message anyway). Not a test (README.md).
// Build: cmake --build build --target text_bench
//
//   text_bench DIR [ROUNDS] [--list]
//
// Reads every message under DIR into memory first (each file; each entry of a
// .mbox file; Dovecot's control files and *.md/*.sha256 skipped), then runs
// extract_text over all of them ROUNDS times (default 5) and prints the best
// round's MB/s, the parsed/unparsed counts, and with --list each unparsed
// message and its problem.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "formats/mbox/mbox_reader.hpp"
#include "mime/text_extract.hpp"
#include "wrap/sha256.hpp"

using namespace mailferry;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

struct Message {
    std::string name, bytes;
};

bool skipped(const fs::path& p) {
    std::string n = p.filename().string();
    return n.rfind("dovecot", 0) == 0 || n == "subscriptions" || n == "maildirfolder" || p.extension() == ".md" ||
           p.extension() == ".sha256";
}

std::vector<Message> load(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && !skipped(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<Message> out;
    for (const auto& p : files) {
        if (p.extension() == ".mbox") {
            mbox::MboxReader reader(p.string());
            Status st = reader.read([&](const mbox::MboxMessage& m) {
                out.push_back({p.string() + "#" + std::to_string(m.index), std::string(m.bytes)});
                return Status{};
            });
            if (!st.ok()) std::fprintf(stderr, "%s: %s\n", p.c_str(), st.error().describe().c_str());
            continue;
        }
        std::ifstream in(p, std::ios::binary);
        out.push_back({p.string(), std::string(std::istreambuf_iterator<char>(in), {})});
    }
    return out;
}

template <typename Fn>
double best_seconds(int rounds, Fn fn) {
    double best = 1e9;
    for (int r = 0; r < rounds; ++r) {
        auto t = Clock::now();
        fn();
        best = std::min(best, std::chrono::duration<double>(Clock::now() - t).count());
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: text_bench DIR [ROUNDS] [--list]\n");
        return 2;
    }
    int rounds = argc > 2 && std::strcmp(argv[2], "--list") != 0 ? std::atoi(argv[2]) : 5;
    bool list = std::strcmp(argv[argc - 1], "--list") == 0;
    std::vector<Message> msgs = load(argv[1]);
    size_t bytes = 0;
    for (const auto& m : msgs) bytes += m.bytes.size();

    size_t parsed = 0, body_bytes = 0, names = 0;
    std::map<std::string, size_t> problems;
    for (const auto& m : msgs) {
        mime::ExtractedText t = mime::extract_text(m.bytes);
        body_bytes += t.body.size();
        names += t.attachment_names.size();
        if (t.parsed) ++parsed;
        else ++problems[t.problem];
        if (!t.parsed && list) std::printf("%s: %s\n", m.name.c_str(), t.problem.c_str());
    }
    double extract = best_seconds(rounds, [&] {
        for (const auto& m : msgs) mime::extract_text(m.bytes);
    });
    double sha = best_seconds(rounds, [&] {
        for (const auto& m : msgs) wrap::sha256_hex(m.bytes);
    });
    double mb = static_cast<double>(bytes) / 1e6;
    std::printf("%zu messages, %.1f MB, %zu bytes of text, %zu attachment names\n", msgs.size(), mb, body_bytes, names);
    std::printf("parsed %zu, not parsed %zu\n", parsed, msgs.size() - parsed);
    for (const auto& [p, n] : problems) std::printf("  %zu x %s\n", n, p.c_str());
    std::printf("extract_text: %.3f s, %.0f MB/s, %.0f messages/s (best of %d)\n", extract, mb / extract,
                static_cast<double>(msgs.size()) / extract, rounds);
    std::printf("sha256:       %.3f s, %.0f MB/s\n", sha, mb / sha);
    return 0;
}
