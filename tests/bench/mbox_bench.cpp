// How fast the mbox reader and writer go, and how much memory the reader
// holds. Not a test (README.md). Build: cmake --build build --target mbox_bench
//
//   mbox_bench generate FILE MB [BIG_MB]  an mbox of ~MB megabytes of mail (2-60 KB
//                                         messages, quoted and '>From ' lines), plus one
//                                         message of BIG_MB megabytes in the middle
//   mbox_bench read FILE [CHUNK_KB]       read it; time, MB/s, messages, peak RSS
//   mbox_bench copy FILE OUT              read it and write it as mboxrd (OUT must not exist)
//
// Compare `read` with `time cat FILE > /dev/null` on a warm page cache.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "formats/mbox/mbox_reader.hpp"
#include "formats/mbox/mbox_writer.hpp"

using namespace mailferry;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

long peak_rss_mb() {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

std::string message(std::mt19937& rng, size_t index, size_t body_bytes) {
    static const char* words[] = {"mail", "ferry", "import", "the", "of", "mbox", "lossless", "and", "Dovecot",
                                  "header", "a", "line", "server", "message", "folder", "to"};
    std::string m = "Return-Path: <list-return-" + std::to_string(index) + "@example.org>\n"
                    "Received: from mx.example.org (mx.example.org [192.0.2.1])\n\tby archive (Postfix) with ESMTP\n"
                    "Message-ID: <" + std::to_string(index) + "@bench.example>\n"
                    "From: Sender " + std::to_string(index % 97) + " <s" + std::to_string(index % 97) + "@example.org>\n"
                    "To: list@example.org\nSubject: benchmark message " + std::to_string(index) + "\n"
                    "Date: Sat, 1 Jan 2011 00:00:00 +0000\nStatus: RO\nContent-Type: text/plain\n\n";
    size_t target = m.size() + body_bytes;
    while (m.size() < target) {
        unsigned kind = rng() % 20;
        if (kind == 0) m += "> ";
        if (kind == 1) m += ">From the earlier mail, ";
        if (kind == 2) m += "From what I see, ";
        std::string line;
        while (line.size() < 72) line += std::string(words[rng() % 16]) + " ";
        line.back() = '\n';
        m += line;
    }
    return m;
}

int generate(const char* path, double mb, double big_mb) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    std::mt19937 rng(7);
    uint64_t total = 0, goal = static_cast<uint64_t>(mb * 1e6);
    size_t i = 0;
    bool big_done = big_mb <= 0;
    while (total < goal || !big_done) {
        size_t body = 2000 + rng() % 58000;
        if (!big_done && total >= goal / 2) {
            body = static_cast<size_t>(big_mb * 1e6);
            big_done = true;
        }
        std::string m = "From s@example.org Sat Jan  1 00:00:00 2011\n" + message(rng, i++, body) + "\n";
        out.write(m.data(), static_cast<std::streamsize>(m.size()));
        total += m.size();
    }
    std::printf("%s: %zu messages, %.1f MB\n", path, i, total / 1e6);
    return out.good() ? 0 : 1;
}

int read(const char* path, size_t chunk_kb) {
    mbox::ReaderOptions opt;
    if (chunk_kb > 0) opt.chunk_size = chunk_kb * 1024;
    mbox::MboxReader reader(path, opt);
    uint64_t bytes = 0, largest = 0, sum = 0;
    auto t = Clock::now();
    Status st = reader.read([&](const mbox::MboxMessage& m) {
        bytes += m.bytes.size();
        largest = std::max<uint64_t>(largest, m.bytes.size());
        sum += static_cast<unsigned char>(m.bytes.back());  // touch the bytes
        return Status{};
    });
    double s = seconds_since(t);
    const auto& r = reader.report();
    std::printf("read %s: %s, %llu messages (%s), %.1f MB in %.3f s = %.0f MB/s; largest message %.1f MB, "
                "peak RSS %ld MB, %zu warnings\n",
                path, st.ok() ? "ok" : st.error().describe().c_str(), static_cast<unsigned long long>(r.messages),
                mbox::variant_name(r.variant), r.bytes / 1e6, s, r.bytes / 1e6 / s, largest / 1e6, peak_rss_mb(),
                r.warnings.size());
    return st.ok() && sum != 1 ? 0 : 1;
}

int copy(const char* in, const char* out) {
    auto w = mbox::MboxWriter::open(out);
    if (!w) {
        std::fprintf(stderr, "%s\n", w.error().describe().c_str());
        return 1;
    }
    mbox::MboxReader reader(in);
    auto t = Clock::now();
    Status st = reader.read([&](const mbox::MboxMessage& m) -> Status {
        auto a = w->append(m.bytes, m.date.value_or(0), m.sender);
        if (!a) return a.error();
        return {};
    });
    if (st.ok()) st = w->close();
    double s = seconds_since(t);
    std::printf("copy %s -> %s: %s, %llu messages, %.1f MB in %.3f s = %.0f MB/s (read + write + fsync)\n", in, out,
                st.ok() ? "ok" : st.error().describe().c_str(),
                static_cast<unsigned long long>(reader.report().messages), reader.report().bytes / 1e6, s,
                reader.report().bytes / 1e6 / s);
    return st.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 4 && std::strcmp(argv[1], "generate") == 0)
        return generate(argv[2], std::atof(argv[3]), argc > 4 ? std::atof(argv[4]) : 0);
    if (argc >= 3 && std::strcmp(argv[1], "read") == 0)
        return read(argv[2], argc > 3 ? static_cast<size_t>(std::atol(argv[3])) : 0);
    if (argc >= 4 && std::strcmp(argv[1], "copy") == 0) return copy(argv[2], argv[3]);
    std::fprintf(stderr, "usage: mbox_bench generate FILE MB [BIG_MB] | read FILE [CHUNK_KB] | copy FILE OUT\n");
    return 2;
}
