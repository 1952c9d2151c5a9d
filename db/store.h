// The results store: one SQLite file with runs, params, metrics, artifacts, provenance and a
// content-addressed blob store. Tables follow MLflow's shape so sqlite3, pandas or Datasette
// can read them directly (see db/schema.sql).
//
// The db module's one public header. Its parts, one job each, are included here:
//   db/names.h        the stored names several modules share (statuses, kinds, artifacts, metrics)
//   db/run.h          one observation as written and as read back, and the ids that name it
//   db/failures.h     a damaged blob, a machine that cannot take the write, free disk space
//   db/maintenance.h  schema steps, statistics, the integrity check, the merge report
//   db/export.h       CSV and JSON exports of runs
//   db/bench.h        `detlab bench store`
// and the Store below is the connection: opening, writing, reading, blobs, maintenance.
#pragma once

#include "db/bench.h"
#include "db/export.h"
#include "db/failures.h"
#include "db/maintenance.h"
#include "db/names.h"
#include "db/run.h"
#include "harness/util/util.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace SQLite {
class Database;
}

namespace detlab::db {

// One Store is one SQLite connection: give each thread its own (SQLite serialises the
// writers of one file across connections and processes, not the transactions of one connection).
class Store {
public:
    // --- Opening (db/open.cpp) ---
    // Opens or creates the database and migrates it to the current schema.
    // A path that is not writable or not a SQLite database raises InputError naming the path.
    explicit Store(const std::filesystem::path& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::filesystem::path& path() const { return path_; }
    int schema_version() const;
    // The store's own id (16 hex digits, drawn when it was made): what tells two stores made on
    // one host apart (kStoreIdProvenance).
    std::string store_id() const;

    // --- Writing observations (db/write.cpp) ---
    void put_experiment(const std::string& name, const std::string& source_text);
    // Writes the whole run (row, params, metrics, blobs, artifacts, provenance) in one
    // BEGIN IMMEDIATE transaction as a new observation. It never replaces a stored run: an id
    // that is already stored is a logic error (std::logic_error) and nothing is written.
    void record_run(const RunResult& run);
    // record_run under the next free repeat index of the run's experiment and configuration,
    // chosen inside the same write transaction, so concurrent processes recording one
    // configuration get distinct repeats (issue 28). Sets run.repeat to it and returns it.
    int record_run_next_repeat(RunResult& run);
    // Adds a later finding about a stored observation (e.g. its bitstream's equivalence check):
    // `extra`'s metrics and artifacts, and its message appended to the run's. Nothing the run
    // holds is changed: a metric or artifact name it already has is a std::logic_error and
    // nothing is written.
    void annotate_run(const std::string& id, const RunResult& extra);

    // --- Reading observations (db/readers.cpp) ---
    std::optional<std::string> experiment_source(const std::string& name) const;
    bool run_done(const std::string& id) const;
    // The statuses of every observation of one slot (experiment, configuration, repeat index),
    // oldest first: what a resuming sweep looks at.
    std::vector<std::string> slot_statuses(const std::string& experiment,
                                           const std::string& config_id, int repeat) const;
    // How many observations of `config_id` are stored (in every experiment), and the next free
    // repeat index within `experiment` (0 when it has none).
    std::int64_t observation_count(const std::string& config_id) const;
    int next_repeat(const std::string& experiment, const std::string& config_id) const;
    std::optional<RunRow> run(const std::string& id) const;
    std::vector<RunRow> runs(const RunFilter& filter = {}) const;
    std::vector<std::pair<std::string, std::string>> params(const std::string& run_id) const;
    std::vector<Metric> metrics(const std::string& run_id) const;
    std::map<std::string, std::string> artifacts(const std::string& run_id) const; // name->sha
    std::map<std::string, std::string> provenance(const std::string& run_id) const;
    // For read-only analysis queries that the methods above do not cover.
    SQLite::Database& database() const;

    // --- Blobs and the cache (db/blobs.cpp) ---
    // Content-addressed blobs: stored zstd-compressed once, verified on every read.
    std::string put_blob(std::span<const std::uint8_t> bytes);
    Bytes get_blob(const std::string& sha256) const; // throws BlobCorrupt or std::out_of_range
    // A damaged blob throws BlobCorrupt naming the run and the artifact.
    std::optional<Bytes> artifact_bytes(const std::string& run_id, const std::string& name) const;
    // A small key -> blob map for reusable intermediate results (e.g. a synthesis netlist keyed
    // by the hash of its inputs), so a seed sweep synthesises once.
    std::optional<std::string> cache_lookup(const std::string& key) const;
    void cache_store(const std::string& key, const std::string& sha256);

    // --- Maintenance (db/maintenance.cpp, db/merge.cpp) ---
    StoreInfo info() const;
    CheckReport check() const;
    // Copies every observation and blob of `other` into this store (shards, other machines).
    // Nothing stored here changes. An observation already present (same id, same row) is
    // skipped; a different observation that happens to carry an id stored here (stores made
    // before observation ids, or copied files) is added under a new id derived from it, with
    // "merged_from_id" in its provenance. Nothing readable is dropped: an observation needing a
    // blob that is damaged or missing in `other` (and not stored here) is left out and named in
    // the report's `damaged`, never copied as if it were good; the rest merges.
    using MergeReport = db::MergeReport;
    MergeReport merge_from(const std::filesystem::path& other);
    // What merge_from checks about `other` before it writes anything, by reading only: a SQLite
    // store of this schema version with no hostile objects (triggers, views in place of tables).
    // Throws InputError naming the file. `detlab merge` calls it on every input before it
    // creates the output store, so a refused merge leaves nothing behind.
    static void check_mergeable(const std::filesystem::path& other);

private:
    std::filesystem::path path_;
    std::unique_ptr<SQLite::Database> db_;
};

} // namespace detlab::db
