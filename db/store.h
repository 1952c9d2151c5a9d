// The results store: one SQLite file with runs, params, metrics, artifacts, provenance and a
// content-addressed blob store. Tables follow MLflow's shape so sqlite3, pandas or Datasette
// can read them directly (see db/schema.sql).
#pragma once

#include "harness/util/util.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace SQLite {
class Database;
}

namespace detlab::db {

// Status of a run. Only "done" runs are skipped when a sweep resumes.
inline constexpr const char* kStatusDone = "done";
inline constexpr const char* kStatusFailed = "failed";
inline constexpr const char* kStatusTimeout = "timeout";

// The kinds of run the store holds, named once: the two domains and the cross-domain check.
// Code compares RunKind values; the store keeps the text of kind_name (stored data: renaming
// one orphans every stored run of that kind).
enum class RunKind { toolchain, train, model_on_bitstream };
inline constexpr RunKind kAllRunKinds[] = {RunKind::toolchain, RunKind::train,
                                           RunKind::model_on_bitstream};
constexpr const char* kind_name(RunKind kind) {
    switch (kind) {
    case RunKind::toolchain:
        return "toolchain";
    case RunKind::train:
        return "train";
    case RunKind::model_on_bitstream:
        return "model_on_bitstream";
    }
    return "";
}
// The kind a stored text names; nullopt for a text no kind has.
inline std::optional<RunKind> run_kind(std::string_view name) {
    for (RunKind kind : kAllRunKinds)
        if (name == kind_name(kind))
            return kind;
    return std::nullopt;
}
inline constexpr const char* kKindToolchain = kind_name(RunKind::toolchain);
inline constexpr const char* kKindTrain = kind_name(RunKind::train);
inline constexpr const char* kKindModelOnBitstream = kind_name(RunKind::model_on_bitstream);
// The stored texts of all kinds, in RunKind order (the CLI's --kind accepts exactly these).
inline const std::vector<std::string>& run_kinds() {
    static const std::vector<std::string> kinds = [] {
        std::vector<std::string> names;
        for (RunKind kind : kAllRunKinds)
            names.emplace_back(kind_name(kind));
        return names;
    }();
    return kinds;
}

// Artifact names that one module stores and others read (the analysis, the equivalence check,
// the CLI), named once. They are stored data: renaming one orphans every stored run's artifact.
namespace artifact {
inline constexpr const char* kNetlist = "netlist.json";    // toolchain: yosys's netlist
inline constexpr const char* kAsc = "bitstream.asc";       // toolchain: nextpnr's ASCII bitstream
inline constexpr const char* kBitstream = "bitstream.bin"; // toolchain: icepack's bitstream
inline constexpr const char* kEquivResult = "equiv_result.json";  // equiv: the check's verdict
inline constexpr const char* kEquivOutputs = "equiv_outputs.bin"; // equiv: outputs per vector
inline constexpr const char* kWeights = "weights.bin";            // train: final weights (DLTN)
inline constexpr const char* kTestLogits = "test_logits.bin"; // train: last epoch's test outputs
} // namespace artifact

// Metric names that one module records and others read, named once (stored data, like the
// artifact names).
namespace metric {
inline constexpr const char* kFmaxMhz = "fmax_mhz"; // toolchain (nextpnr)
// The equivalence check of a build (harness/equiv).
inline constexpr const char* kEquivVectors = "equiv_vectors";
inline constexpr const char* kEquivMismatches = "equiv_mismatches";
inline constexpr const char* kEquivRateBound = "equiv_rate_bound";
inline constexpr const char* kEquivCycles = "equiv_cycles"; // random stimulus: cycles each
inline constexpr const char* kEquivToggleFf = "equiv_toggle_ff";
inline constexpr const char* kEquivToggleLut = "equiv_toggle_lut";
inline constexpr const char* kEquivWallS = "equiv_wall_s";
inline constexpr const char* kFinalTestAccuracy = "final_test_accuracy"; // train
inline constexpr const char* kFinalTestLoss = "final_test_loss";         // train
inline constexpr const char* kTestAccuracy = "test_accuracy";            // train, per epoch
inline constexpr const char* kTestLoss = "test_loss";                    // train, per epoch
// A model_on_bitstream run's metrics.
inline constexpr const char* kModels = "models";
inline constexpr const char* kBitstreams = "bitstreams";
inline constexpr const char* kSamples = "samples";
inline constexpr const char* kPredictionMismatches = "prediction_mismatches";
inline constexpr const char* kLogitMismatches = "logit_mismatches";
inline constexpr const char* kIdenticalAcrossBitstreams = "identical_across_bitstreams";
inline constexpr const char* kModelDisagreement = "model_disagreement";
} // namespace metric

struct Metric {
    std::string key;
    double value = 0;
    std::int64_t step = 0;
};

struct Artifact {
    std::string name; // e.g. "bitstream.bin", "weights.bin", "yosys.log"
    Bytes bytes;
};

// Everything one run produced. A run is written in a single transaction by Store::record_run,
// so a run is either wholly present or absent: a killed sweep never leaves half a run behind.
struct RunResult {
    std::string id;         // the observation's own id: new_observation_id()
    std::string config_id;  // configuration_id(...); empty: from kind and config_json alone
    std::string experiment; // experiment name ("" for ad-hoc CLI runs: stored as "adhoc")
    std::string kind;       // one of run_kinds()
    std::string config_json;
    int repeat = 0;
    std::string status = kStatusDone;
    std::string message;   // the tool's own error text for failed/timeout runs
    double started_at = 0; // unix seconds
    double wall_seconds = 0;
    std::string host;
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<Metric> metrics;
    std::vector<Artifact> artifacts;
    std::map<std::string, std::string> provenance;

    void add_param(std::string key, std::string value);
    void add_metric(std::string key, double value, std::int64_t step = 0);
    void add_artifact(std::string name, Bytes bytes);
    void add_artifact(std::string name, std::string_view text);
    // The artifact or the last-step metric of that name; null / nullopt when the run has none.
    const Artifact* find_artifact(std::string_view name) const;
    std::optional<double> metric(std::string_view key) const;
};

// A planned run's slot: the first 16 hex digits of SHA-256 over kind, canonical config and
// repeat index. The same on every machine, so shards split an experiment without coordination.
std::string run_id(const std::string& kind, const std::string& canonical_config_json, int repeat);

// A fresh observation id (16 hex digits from the system's entropy source, not a seed): every
// execution of a configuration is stored as its own observation and never replaces another.
std::string new_observation_id();

// What a configuration's output depends on beyond its keys: input name -> SHA-256 of its bytes
// (e.g. "rtl/systolic_array.v", "pcf/hx1k.pcf", "dataset/digits.csv.gz").
using InputDigests = std::vector<std::pair<std::string, std::string>>;

// A configuration's identity: "c" + 16 hex digits of SHA-256 over kind, the identity JSON
// (identity_config: keys added later are left out at their default) and the input digests.
// Change a key or one byte of an input and the configuration is a new one.
std::string configuration_id(const std::string& kind, const std::string& identity_json,
                             const InputDigests& inputs = {});

// Prefix of the provenance keys that record a run's input digests.
inline constexpr const char* kInputProvenancePrefix = "input:";

struct RunRow {
    std::string id, config_id, experiment, kind, config_json, status, message, host;
    int repeat = 0;
    double started_at = 0, wall_seconds = 0;
};

struct RunFilter {
    std::optional<std::string> experiment, kind, status;
    std::optional<std::int64_t> limit; // at most this many runs (oldest first)
};

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

struct CheckReport {
    bool ok = true;
    std::string integrity; // PRAGMA integrity_check result ("ok" when fine)
    std::int64_t blobs_checked = 0;
    std::vector<std::string> problems; // one line per bad blob or dangling artifact
};

// The largest artifact detlab stores or reads back (256 MiB). A blob whose stated size or zstd
// frame claims more is damaged data, refused before any allocation, so a hostile store costs at
// most this much memory per blob read (decoding grows its buffer with what zstd really delivers,
// so a size that lies costs only the real bytes). Tool logs are capped far below it.
inline constexpr std::uint64_t kMaxBlobBytes = std::uint64_t{256} << 20;

// Thrown when a blob's bytes do not hash to its name, its stated size is beyond kMaxBlobBytes
// or disagrees with its zstd frame; the message names the blob.
class BlobCorrupt : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The machine, not the run: the store could not be written because its disk is full, another
// writer held the lock past the busy timeout, or the file system failed (SQLITE_FULL, BUSY,
// LOCKED, IOERR, CANTOPEN). Nothing of the write is kept (the transaction rolled back). A sweep
// leaves such a run to be redone and counts it apart; it is never the configuration's failure.
class StoreUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Bytes that must be free on the store's file system (and the work root's) before a sweep
// starts a run: below it the run would only fill the disk and could not be recorded.
inline constexpr std::uint64_t kMinFreeBytes = std::uint64_t{16} << 20;
// Free bytes on the file system holding `path` (a file or directory; its folder when the file
// does not exist yet); nullopt when it cannot be asked.
std::optional<std::uint64_t> free_bytes(const std::filesystem::path& path);

// One Store is one SQLite connection: give each thread its own (SQLite serialises the
// writers of one file across connections and processes, not the transactions of one connection).
class Store {
public:
    // Opens or creates the database and migrates it to the current schema.
    // A path that is not writable or not a SQLite database raises InputError naming the path.
    explicit Store(const std::filesystem::path& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::filesystem::path& path() const { return path_; }
    int schema_version() const;

    void put_experiment(const std::string& name, const std::string& source_text);
    std::optional<std::string> experiment_source(const std::string& name) const;

    // Writes the whole run (row, params, metrics, blobs, artifacts, provenance) in one
    // BEGIN IMMEDIATE transaction as a new observation. It never replaces a stored run: an id
    // that is already stored is a logic error (std::logic_error) and nothing is written.
    void record_run(const RunResult& run);
    // record_run under the next free repeat index of the run's experiment and configuration,
    // chosen inside the same write transaction, so concurrent processes recording one
    // configuration get distinct repeats (issue 28). Sets run.repeat to it and returns it.
    int record_run_next_repeat(RunResult& run);
    bool run_done(const std::string& id) const;
    // Adds a later finding about a stored observation (e.g. its bitstream's equivalence check):
    // `extra`'s metrics and artifacts, and its message appended to the run's. Nothing the run
    // holds is changed: a metric or artifact name it already has is a std::logic_error and
    // nothing is written.
    void annotate_run(const std::string& id, const RunResult& extra);

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

    // Content-addressed blobs: stored zstd-compressed once, verified on every read.
    std::string put_blob(std::span<const std::uint8_t> bytes);
    Bytes get_blob(const std::string& sha256) const; // throws BlobCorrupt or std::out_of_range
    // A damaged blob throws BlobCorrupt naming the run and the artifact.
    std::optional<Bytes> artifact_bytes(const std::string& run_id, const std::string& name) const;

    // A small key -> blob map for reusable intermediate results (e.g. a synthesis netlist keyed
    // by the hash of its inputs), so a seed sweep synthesises once.
    std::optional<std::string> cache_lookup(const std::string& key) const;
    void cache_store(const std::string& key, const std::string& sha256);

    StoreInfo info() const;
    CheckReport check() const;

    // Copies every observation and blob of `other` into this store (shards, other machines).
    // Nothing stored here changes. An observation already present (same id, same row) is
    // skipped; a different observation that happens to carry an id stored here (stores made
    // before observation ids, or copied files) is added under a new id derived from it, with
    // "merged_from_id" in its provenance. Nothing readable is dropped: an observation needing a
    // blob that is damaged or missing in `other` (and not stored here) is left out and named in
    // `damaged`,
    // never copied as if it were good; the rest merges.
    struct MergeReport {
        std::int64_t runs_added = 0, runs_skipped = 0, runs_renamed = 0, blobs_added = 0;
        // Observations (and cache entries) of the source left out because a blob they need is
        // damaged there: one line each naming the run (or cache key), the artifact and the blob.
        std::vector<std::string> damaged;
    };
    MergeReport merge_from(const std::filesystem::path& other);
    // What merge_from checks about `other` before it writes anything, by reading only: a SQLite
    // store of this schema version with no hostile objects (triggers, views in place of tables).
    // Throws InputError naming the file. `detlab merge` calls it on every input before it
    // creates the output store, so a refused merge leaves nothing behind.
    static void check_mergeable(const std::filesystem::path& other);

    // For read-only analysis queries that the methods above do not cover.
    SQLite::Database& database() const;

private:
    std::filesystem::path path_;
    std::unique_ptr<SQLite::Database> db_;
};

// The embedded schema (db/schema.sql) as migration steps: element i takes PRAGMA user_version
// i to i + 1. current_schema_version() == schema_steps().size().
std::vector<std::string> schema_steps();
int current_schema_version();

// Runs joined with their params and final metrics (the value at the highest step per key), one
// record per run, for pandas or a spreadsheet. CSV columns: the run's fields, then "params.<key>"
// and "metrics.<key>" sorted by key (RFC 4180 quoting, empty cell when a run lacks the key).
// JSON: an array of objects with the run's fields plus "params" (strings) and "metrics"
// (numbers, NaN as null); pandas.json_normalize gives the same column names as the CSV.
enum class ExportFormat { csv, json };
void export_runs(const Store& store, ExportFormat format, std::ostream& out,
                 const RunFilter& filter = {});

// `detlab bench store`: how fast runs shaped like toolchain runs (a shared netlist, a unique
// bitstream and .asc per run, logs) are recorded by one writer (the baseline) and by `writers`
// threads with a connection each into a fresh store under `dir`, and how fast every artifact
// is read back and verified.
struct StoreBenchResult {
    int runs = 0, writers = 0;
    double baseline_seconds = 0, baseline_runs_per_s = 0;
    double parallel_seconds = 0, parallel_runs_per_s = 0;
    double parallel_speedup = 0; // parallel_runs_per_s / baseline_runs_per_s
    double verify_seconds = 0, verify_mib_per_s = 0;
    std::int64_t verified_bytes = 0;
    StoreInfo info; // of the parallel store
};
StoreBenchResult bench_store(const std::filesystem::path& dir, int runs, int writers);

} // namespace detlab::db
