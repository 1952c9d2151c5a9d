// Looking after a store as a whole rather than one run: its schema steps, its statistics and
// integrity check, and what a merge of another store reports. Part of db/store.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace detlab::db {

// The embedded schema (db/schema.sql) as migration steps: element i takes PRAGMA user_version
// i to i + 1. current_schema_version() == schema_steps().size().
std::vector<std::string> schema_steps();
int current_schema_version();

// Store::info(): what the store holds and what its blob deduplication saves.
struct StoreInfo {
    int schema_version = 0;
    std::map<std::string, std::int64_t> row_counts; // per table
    std::int64_t file_bytes = 0;                    // database file plus WAL
    std::int64_t blob_count = 0;
    std::int64_t blob_raw_bytes = 0;     // sum of distinct blobs' raw sizes
    std::int64_t blob_stored_bytes = 0;  // compressed bytes actually stored
    std::int64_t artifact_raw_bytes = 0; // raw bytes referenced by all artifacts (with repeats)
    double dedup_ratio() const;          // artifact_raw_bytes / blob_raw_bytes
};

// Store::check(): SQLite's integrity check and every blob re-hashed.
struct CheckReport {
    bool ok = true;
    std::string integrity; // PRAGMA integrity_check result ("ok" when fine)
    std::int64_t blobs_checked = 0;
    std::vector<std::string> problems; // one line per bad blob or dangling artifact
};

// Store::merge_from(): what was copied, skipped, renamed and left out.
struct MergeReport {
    std::int64_t runs_added = 0, runs_skipped = 0, runs_renamed = 0, blobs_added = 0;
    // Observations (and cache entries) of the source left out because a blob they need is
    // damaged there: one line each naming the run (or cache key), the artifact and the blob.
    std::vector<std::string> damaged;
};

} // namespace detlab::db
