// The chain-of-custody record (docs/architecture.md §3): per cached message, where it
// came from, what its bytes hash to, and per replay target where it went.
// Streamed row by row in message order, so that memory stays flat however
// large the cache.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cache/cache.hpp"

namespace mailferry::cache {

struct ManifestRow {
    int64_t message_id = 0;
    std::string source_kind, source_server, source_account;
    std::string folder_raw, folder;
    uint32_t uidvalidity = 0, uid = 0;
    std::string source_key;  // POP3 UIDL or a file identity; "" for IMAP
    std::string sha256;
    uint64_t size = 0;
    int64_t received = 0;
    std::string received_from;
    std::string flags;
    std::string header_message_id;
    bool gone = false;
    std::string path;
    // The replay target, when the message has a ledger row for one.
    std::string target;  // mailbox key user@host; "" when never replayed
    std::string state, target_folder, last_text;
    std::optional<int64_t> target_uidvalidity, target_uid;
    int attempts = 0;
};

// One row per (message, target); a message never replayed (to `target`, if
// given) has one row with an empty target.
Status for_each_manifest_row(Cache& cache, const std::optional<std::string>& target,
                             const std::function<void(const ManifestRow&)>& on_row);

// Whether a target (mailbox key) is known to the ledger.
Result<bool> has_target(Cache& cache, const std::string& target);

}  // namespace mailferry::cache
