// The index schema of cache format v1 and its stepwise migrations.
#pragma once

#include "mailferry/result.hpp"
#include "wrap/sqlite.hpp"

namespace mailferry::cache {

// The schema version this build writes (PRAGMA user_version).
constexpr int kSchemaVersion = 7;

// Brings the index from whatever version it has up to kSchemaVersion, one step
// per transaction, so that an old cache opens with a newer tool. A cache newer
// than this build is refused (the error says which version made it).
Status migrate(wrap::Database& db);
// For a read-only open: the schema must be exactly the one this build knows
// (an older one would need the migration a writing command runs).
Status check_schema_readable(wrap::Database& db, const std::string& dir);

}  // namespace mailferry::cache
