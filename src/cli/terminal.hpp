// What the user sees while a command runs: a progress bar on a terminal
// (standard error, redrawn a few times a second, none off a terminal) and
// warnings printed once each.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace mailferry::cli {

struct ProgressLine {
    uint64_t done = 0, total = 0;  // the bar's measure (bytes)
    std::string text;              // what follows the bar
};

class ProgressBar {
public:
    // Draws sample() every 250 ms while alive, when enabled and stderr is a terminal.
    ProgressBar(bool enabled, std::function<ProgressLine()> sample);
    ~ProgressBar();  // clears the line
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    void stop();

private:
    void draw(const ProgressLine& line);
    std::function<ProgressLine()> sample_;
    std::atomic<bool> running_{false};
    std::thread thread_;
};

// Prints each distinct warning once on stderr, from any thread.
class Warnings {
public:
    void operator()(const std::string& line);

private:
    std::mutex mutex_;
    std::set<std::string> seen_;
};

std::string human_bytes(uint64_t bytes);

}  // namespace mailferry::cli
