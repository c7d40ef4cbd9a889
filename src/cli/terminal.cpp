#include "cli/terminal.hpp"
#include "core/utf8.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

namespace mailferry::cli {

ProgressBar::ProgressBar(bool enabled, std::function<ProgressLine()> sample) : sample_(std::move(sample)) {
    if (!enabled || !::isatty(STDERR_FILENO)) return;
    running_ = true;
    thread_ = std::thread([this] {
        while (running_) {
            draw(sample_());
            for (int i = 0; i < 5 && running_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
}

ProgressBar::~ProgressBar() { stop(); }

void ProgressBar::stop() {
    if (!running_.exchange(false)) return;
    thread_.join();
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
}

void ProgressBar::draw(const ProgressLine& line) {
    constexpr int width = 30;
    double frac = line.total ? static_cast<double>(line.done) / static_cast<double>(line.total) : 0.0;
    if (frac > 1) frac = 1;
    int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '.');
    std::fprintf(stderr, "\r\033[K[%s] %3d%% %s", bar.c_str(), static_cast<int>(frac * 100), line.text.c_str());
    std::fflush(stderr);
}

void Warnings::operator()(const std::string& line) {
    std::lock_guard<std::mutex> l(mutex_);
    // A warning may quote a folder name or a server's words: shown, never obeyed by the terminal.
    if (seen_.insert(line).second) std::cerr << visible_text(line) << "\n";
}

std::string human_bytes(uint64_t b) {
    char buf[32];
    if (b < 1024) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
    else if (b < (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(b) / 1024);
    else if (b < (1ull << 30)) std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / (1 << 20));
    else std::snprintf(buf, sizeof buf, "%.2f GB", static_cast<double>(b) / (1ull << 30));
    return buf;
}

}  // namespace mailferry::cli
