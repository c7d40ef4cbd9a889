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

// The line of a run that moves messages folder by folder (export, replay):
// "120/3400 messages, 12.5 MB, folders 2/9", the bar measured in bytes.
// Progress: any counters named as in pipeline::ExportProgress.
template <typename Progress>
ProgressLine transfer_progress_line(const Progress& p) {
    ProgressLine l;
    l.done = p.bytes_done;
    l.total = p.bytes_planned;
    l.text = std::to_string(p.messages_done.load()) + "/" + std::to_string(p.messages_planned.load()) +
             " messages, " + human_bytes(p.bytes_done) + ", folders " + std::to_string(p.folders_done.load()) + "/" +
             std::to_string(p.folders_total.load());
    return l;
}

}  // namespace mailferry::cli
