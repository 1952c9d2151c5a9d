// Experiment sweeps: a TOML experiment file is validated and expanded into runs (one study per
// varied factor, or a full grid), split into shards, and run N at a time into the store, so a
// sweep can be resumed after a crash, run on a cluster as a Slurm array and merged again.
#pragma once

#include "db/store.h"
#include "harness/config_keys/config_keys.h"
#include "harness/observation/observation.h"
#include "harness/util/util.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace detlab::sweep {

struct Experiment;

using RunFunction = std::function<db::RunResult(const nlohmann::json& config, int repeat,
                                                const observation::Context&)>;

// What the sweep needs to know about one domain of runs ("toolchain", "train").
struct Domain {
    std::string kind; // the experiment file's table and the planned runs' kind
    // The kind its runs are stored as when it is not `kind`: a user's own training program
    // ("program") stores "train" runs, so the analysis reads them as the built-in trainer's.
    std::string stored_kind;
    std::vector<KeySpec> keys;
    RunFunction run;
    // The configuration's identity (db::configuration_id with the domain's input digests): what
    // a sweep resumes by. Throws InputError when an input is missing. Unset: keys only.
    std::function<std::string(const nlohmann::json& config)> identity;
    // The domain's own checks beyond key ranges (the same the CLI applies); InputError. Run on
    // every distinct configuration of an experiment when it is parsed, so a bad value fails
    // with the study's line before anything runs.
    std::function<void(const nlohmann::json& config)> check;
    // Checks that run tools (the toolchain's yosys parse of the design): InputError. Run by
    // run_sweep on every distinct configuration before the store is opened, not when a file is
    // parsed (so `run --list` and the unit tests need no tools).
    std::function<void(const nlohmann::json& config)> preflight;
    // Set in every run of a "repeat" study unless the study's `with` sets them: a toolchain
    // repeat must not reuse a cached netlist, or synthesis could never show a difference.
    nlohmann::json repeat_overrides = nlohmann::json::object();
    // Runs whose configurations map to the same non-empty group share an expensive first step
    // that the first of them caches in the store (the toolchain's synthesis). The runner starts
    // the others only once that first run has finished, so the step runs once per group.
    std::function<std::string(const nlohmann::json& config)> setup_group;
    // Optional: whether the shared step of `group` (setup_group's value) is already stored, so
    // the rest of the group may start before the leader's run ends.
    std::function<bool(const db::Store& store, const std::string& group)> setup_stored;
    // Called on a run that finished "done", before it is recorded, in the same worker (the
    // toolchain's equivalence check). It must not turn the run into a failure: a check that
    // cannot run is a recorded result of its own.
    std::function<void(db::RunResult&, const nlohmann::json& config, const observation::Context&,
                       const Experiment&)>
        after_run;
};

// The domains detlab ships: toolchain (harness/toolchain), train (harness/train) and program
// (harness/program: a training program of the user's own).
const std::vector<Domain>& builtin_domains();

// One run of an expanded experiment.
// The lines of a run's message a log shows: the first and those naming an ERROR (the tool's
// own), at most `limit`, each with control characters shown as '?', so a tool's output cannot
// move the terminal's cursor.
std::vector<std::string> message_lines(const std::string& message, std::size_t limit);

struct PlannedRun {
    std::string id; // the slot: db::run_id(kind, config.dump(), repeat), used to split shards
    std::string kind;
    nlohmann::json config; // completed: every key of the domain
    int repeat = 0;        // occurrence of this exact config in the experiment (0, 1, ...)
    std::string study;     // group name: runs of one study differ only in `factor`
    std::string factor;    // the varied factor ("seed", "repeat", "seed,threads" for a grid)
    nlohmann::json factor_value;
};

struct Experiment {
    std::string name;
    std::string description;
    std::string file;   // as given, used in messages
    std::string source; // the file's text, stored with the runs
    std::string design; // "one-at-a-time" or "grid"
    // [experiment] equiv_vectors: the equivalence check of every toolchain build with this many
    // vectors (0: none). Not part of any configuration, so run identities do not change.
    int equiv_vectors = 0;
    // For a design that is not the accelerator (the random-stimulus check): clock cycles per
    // stimulus, the clock input (empty: the one input named like a clock) and inputs held at 0
    // or 1 throughout (a reset). equiv_vectors is then the number of stimuli.
    int equiv_cycles = 1000;
    std::string equiv_clock;
    std::map<std::string, bool> equiv_hold;
    // [experiment] equiv_prove: a formal proof of every toolchain build's bitstream against its
    // synthesised netlist within this many seconds (0: none), after the simulation's check.
    // Likewise not part of any configuration.
    int equiv_prove_s = 0;
    std::vector<std::string> domains;
    std::vector<PlannedRun> runs; // in run order
    // Optional studies left out because this machine lacks what they need, one line each:
    // "toolchain/tools: skipped: ... install it with scripts/setup-toolchain trixie".
    std::vector<std::string> notes;
};

// Parses, validates and expands an experiment. Every problem (TOML syntax, unknown key, wrong
// type, out-of-range value, unknown factor) throws InputError "file:line: key: problem" before
// anything runs.
Experiment parse_experiment(std::string_view text, const std::string& origin,
                            const std::vector<Domain>& domains);
Experiment load_experiment(const std::filesystem::path& file, const std::vector<Domain>& domains);
// The same checks, but each planned run is handed to `visit` in run order and not kept
// (Experiment::runs stays empty): `detlab run --list` lists a million runs in memory bounded by
// a small digest a distinct configuration, never by the runs themselves. Either way the plan is
// counted before it is expanded, and one of more than 1,000,000 runs is refused naming the
// line and key that make it too big.
using PlanVisitor = std::function<void(PlannedRun&&)>;
Experiment plan_experiment(std::string_view text, const std::string& origin,
                           const std::vector<Domain>& domains, const PlanVisitor& visit);
Experiment plan_experiment_file(const std::filesystem::path& file,
                                const std::vector<Domain>& domains, const PlanVisitor& visit);

// ---- Shards: a deterministic split of an experiment's runs (Slurm arrays, several machines) ----
struct Shard {
    int index = 0; // 0-based
    int count = 1;
};
// "I/N" with 0 <= I < N; throws InputError otherwise.
Shard parse_shard(const std::string& text);
// From SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN (0 if unset).
std::optional<Shard> shard_from_environment();
// The runs of one shard: the run ids sorted, every count-th from position index, so each run
// belongs to exactly one shard whatever order the file lists its studies in.
std::vector<PlannedRun> shard_runs(const std::vector<PlannedRun>& runs, Shard shard);
// The same rule from the sorted ids alone (what a streamed listing keeps): whether `id` is in
// `shard`. sorted_ids: every run's id, sorted.
bool in_shard(const std::vector<std::string>& sorted_ids, const std::string& id, Shard shard);
// "results/detlab.db" -> "results/detlab.shard-2.db": each shard writes its own file.
std::filesystem::path shard_db_path(const std::filesystem::path& db, Shard shard);
// "results/detlab.db" -> "results/detlab.shard-*.db", the shell pattern of every shard's file.
std::filesystem::path shard_db_pattern(const std::filesystem::path& db);

// ---- The key reference (docs/experiments.md, `detlab keys`) ----
// One markdown table of a domain's keys: key, type, default, range / choices, factor, meaning.
// Every cell is escaped, so a key's documentation cannot break the table.
std::string key_table_markdown(const std::vector<KeySpec>& keys);
// Each domain's table under a line naming its baseline table ("`[toolchain]` keys:"), in the
// order given: the section of docs/experiments.md between its "generated" markers.
std::string key_reference_markdown(const std::vector<Domain>& domains);

// ---- The runner ----
struct RunOptions {
    std::filesystem::path db_path = "detlab.db";
    std::filesystem::path work_root; // scratch space; empty: "<db>.work"
    int jobs = 1;
    bool retry_failed = false;
    Shard shard;
    const std::atomic<bool>* cancel = nullptr; // set by a signal handler: stop starting runs
    std::ostream* log = nullptr;               // progress and per-run lines (usually stderr)
    bool progress_bar = false;                 // redraw one line (a terminal) instead of lines
    int terminal_columns = 80;                 // the terminal's width, for that line
};

// How one study's runs stand in the store after a sweep (this shard's slots).
struct StudyOutcome {
    std::string study;
    int runs = 0, done = 0, failed = 0; // slots; failed: every observation failed or timed out
    std::string first_failure;          // "<status>: <message>" of the first failed slot
};

struct SweepSummary {
    int planned = 0;        // runs in the whole experiment
    int in_shard = 0;       // runs in this shard
    int already_done = 0;   // skipped: a done observation of the slot is stored
    int earlier_failed = 0; // skipped: failed before and retry_failed not set
    int done = 0, failed = 0;
    int done_elsewhere = 0; // recorded by a concurrent detlab (same store and work root) meanwhile
    int not_started = 0;    // left for later because of cancellation
    // Not stored because of the machine (disk full or below db::kMinFreeBytes, store locked past
    // the busy timeout, a write that failed): never the configuration's failure, redone by the
    // next invocation. `detlab run` exits kExitIncomplete when it is not 0.
    int unrecorded = 0;
    std::string first_unrecorded; // the reason of the first of them
    bool cancelled = false;
    double wall_seconds = 0;
    std::vector<StudyOutcome> studies; // in plan order
};

// Runs every pending run of the shard, `jobs` at a time, each worker with its own store
// connection. Each run is recorded atomically when it finishes; runs interrupted by
// cancellation are not recorded, so a later invocation runs them again.
SweepSummary run_sweep(const Experiment& experiment, const std::vector<Domain>& domains,
                       const RunOptions& options);

// Installs SIGINT/SIGTERM handlers that set the returned flag (a second signal kills the
// process the usual way). The signal number is kept in last_signal().
const std::atomic<bool>& install_cancel_handlers();
int last_signal();

// ---- Slurm ----
struct SlurmOptions {
    std::filesystem::path experiment;    // absolute path to the experiment file
    std::filesystem::path detlab_binary; // absolute path to the detlab executable
    std::filesystem::path db_path;       // shards go to db_path with ".shard-I" inserted
    std::filesystem::path log_dir;       // Slurm's per-task output files
    std::string job_name;
    int shards = 4;
    int cpus_per_task = 2;
    std::string partition;  // empty: the cluster's default
    std::string time_limit; // e.g. "02:00:00"; empty: the partition's default
    std::string memory;     // e.g. "4G"; empty: the partition's default
};
// An sbatch array script: one task per shard, each running `detlab run` on its share.
std::string sbatch_script(const SlurmOptions& options);

} // namespace detlab::sweep
