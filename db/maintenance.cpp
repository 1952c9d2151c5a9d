// Store statistics and the integrity check.
#include "db/internal.h"

namespace detlab::db {
namespace fs = std::filesystem;

namespace {

const char* const kTables[] = {"experiments", "runs",       "params", "metrics",
                               "artifacts",   "provenance", "blobs",  "cache"};

std::int64_t file_size_or_zero(const fs::path& path) {
    std::error_code error;
    auto size = fs::file_size(path, error);
    return error ? 0 : static_cast<std::int64_t>(size);
}

std::int64_t single_int(SQLite::Database& db, const std::string& sql) {
    return db.execAndGet(sql).getInt64();
}

// " (needed by run R: bitstream.bin, ...)": a damaged blob costs these runs, so say which.
std::string owners_of(SQLite::Database& db, const std::string& sha256) {
    SQLite::Statement owners(db, "SELECT run_id, name FROM artifacts WHERE sha256 = ? "
                                 "ORDER BY run_id, name LIMIT 10");
    owners.bind(1, sha256);
    std::vector<std::string> names;
    while (owners.executeStep())
        names.push_back("run " + owners.getColumn(0).getString() + ": " +
                        owners.getColumn(1).getString());
    return names.empty() ? std::string() : " (needed by " + join(names) + ")";
}

void check_blobs(SQLite::Database& db, CheckReport& report) {
    SQLite::Statement query(db, "SELECT sha256, size, codec, data FROM blobs ORDER BY sha256");
    while (query.executeStep()) {
        ++report.blobs_checked;
        auto data = query.getColumn(3);
        try {
            internal::decode_blob(query.getColumn(0).getString(), query.getColumn(1).getInt64(),
                                  query.getColumn(2).getString(), data.getBlob(),
                                  static_cast<std::size_t>(data.getBytes()));
        } catch (const BlobCorrupt& e) {
            report.problems.push_back(e.what() + owners_of(db, query.getColumn(0).getString()));
        }
    }
}

// Foreign keys make these impossible through the Store, but a file edited by hand or by an
// older tool may still have them.
void check_references(SQLite::Database& db, CheckReport& report) {
    SQLite::Statement dangling(db, "SELECT a.run_id, a.name, a.sha256 FROM artifacts a "
                                   "LEFT JOIN blobs b ON b.sha256 = a.sha256 "
                                   "WHERE b.sha256 IS NULL ORDER BY a.run_id, a.name");
    while (dangling.executeStep())
        report.problems.push_back("artifact " + dangling.getColumn(1).getString() + " of run " +
                                  dangling.getColumn(0).getString() + ": blob " +
                                  dangling.getColumn(2).getString() + " is missing");
    SQLite::Statement foreign(db, "PRAGMA foreign_key_check");
    while (foreign.executeStep())
        report.problems.push_back("table " + foreign.getColumn(0).getString() + " row " +
                                  foreign.getColumn(1).getString() + ": broken reference to " +
                                  foreign.getColumn(2).getString());
}

} // namespace

double StoreInfo::dedup_ratio() const {
    return blob_raw_bytes > 0
               ? static_cast<double>(artifact_raw_bytes) / static_cast<double>(blob_raw_bytes)
               : 1.0;
}

StoreInfo Store::info() const {
    StoreInfo info;
    info.schema_version = schema_version();
    for (const char* table : kTables)
        info.row_counts[table] = single_int(*db_, std::string("SELECT count(*) FROM ") + table);
    info.file_bytes = file_size_or_zero(path_) + file_size_or_zero(path_.string() + "-wal");
    info.blob_count = info.row_counts["blobs"];
    info.blob_raw_bytes = single_int(*db_, "SELECT coalesce(sum(size), 0) FROM blobs");
    info.blob_stored_bytes = single_int(*db_, "SELECT coalesce(sum(length(data)), 0) FROM blobs");
    info.artifact_raw_bytes = single_int(*db_, "SELECT coalesce(sum(b.size), 0) FROM artifacts a "
                                               "JOIN blobs b ON b.sha256 = a.sha256");
    return info;
}

CheckReport Store::check() const {
    CheckReport report;
    SQLite::Statement integrity(*db_, "PRAGMA integrity_check");
    while (integrity.executeStep()) {
        auto line = integrity.getColumn(0).getString();
        report.integrity += (report.integrity.empty() ? "" : "\n") + line;
    }
    check_blobs(*db_, report);
    check_references(*db_, report);
    report.ok = report.integrity == "ok" && report.problems.empty();
    return report;
}

} // namespace detlab::db
