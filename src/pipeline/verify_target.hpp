// mailferry verify --target: is every message the ledger says is on the
// target really there? Per target folder: the folder exists, its UIDVALIDITY
// is the one APPENDUID gave, and each recorded UID is there with a plausible
// size and the same Message-ID. Bytes are not compared: Exchange rewrites
// MIME on APPEND (docs/office365.md), so a hash of what it returns proves nothing.
// Messages appended without APPENDUID are looked for by Message-ID.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache/ledger.hpp"
#include "mailferry/mail_target.hpp"

namespace mailferry::pipeline {

struct TargetProblem {
    std::string kind;  // missing, different, folder_missing, uidvalidity_changed, size_implausible
    cache::PlacedMessage message;
    std::string detail;
};

struct TargetVerifyReport {
    uint64_t checked = 0, present = 0;
    std::vector<TargetProblem> problems;
    double seconds = 0;
    bool ok() const;  // nothing missing or different (an implausible size alone is a warning)
    uint64_t count(const std::string& kind) const;
};

struct TargetVerifyProgress {
    std::atomic<uint64_t> total{0}, done{0};
};

Result<TargetVerifyReport> verify_target(cache::Ledger& ledger, MailTarget& target,
                                         TargetVerifyProgress& progress);

// A target's size is plausible for a cached message of `cached` bytes:
// Exchange re-encodes MIME (base64 line lengths, header folding, its own
// headers), so sizes differ, but not by a factor of two (exposed for tests).
bool plausible_size(uint64_t cached, uint64_t on_target);

// "<A@B>" and " <a@b> " are the same Message-ID (exposed for tests).
std::string normalized_message_id(std::string_view text);

}  // namespace mailferry::pipeline
