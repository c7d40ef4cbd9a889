// What replay checks and changes in a message before it goes to a target
// (docs/architecture.md §6, docs/office365.md). The cache is never changed: only the bytes
// sent are, and every change is counted so the run can report it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/target_profile.hpp"

namespace mailferry::pipeline {

struct PreflightFindings {
    bool too_big = false;
    size_t longest_line = 0;
    bool long_lines = false;        // longer than the profile's limit
    bool eight_bit_headers = false; // raw bytes >= 0x80 in the header section
    bool no_message_id = false;
    bool no_date = false;
    bool read_receipt = false;      // Disposition-Notification-To present
    // Why the message cannot be sent as it is ("" if it can).
    std::string blocking_reason(const net::TargetProfile& profile, uint64_t size, uint64_t limit) const;
    std::vector<std::string> warnings() const;
};

PreflightFindings inspect_message(std::string_view message, const net::TargetProfile& profile, uint64_t size_limit);

struct WireMessage {
    std::string bytes;
    uint64_t line_endings_repaired = 0;  // bare LF or CR turned into CRLF
    uint64_t nul_removed = 0;            // NUL bytes cannot travel in an IMAP literal
    bool receipt_disarmed = false;
};

// The bytes as IMAP requires them: CRLF line endings, no NUL. With
// disarm_receipts, Disposition-Notification-To is renamed so the target never
// sends a read receipt for an old message.
WireMessage to_wire(std::string_view message, bool disarm_receipts);

}  // namespace mailferry::pipeline
