// Comparison analysis: runs grouped by the factor they differ in, summaries per group, the
// cross-domain comparison table, effects against the baseline, factorial designs, the verdict,
// the cross-machine and toolchain-version views, gnuplot plots and the HTML report. It reads
// runs from a db::Store; the pure parts it builds on are modules of their own:
// analysis/distance (distances between outputs, the common scale's yardstick and a group's
// summaries: UnrelatedBaseline, OutputComparison, Toolchain/TrainingSummary) and analysis/stats
// (statistics, Estimate, the verdict's Finding, Margin, Evidence and margins).
#pragma once

#include "analysis/distance/distance.h"
#include "analysis/stats/stats.h"
#include "db/store.h"
#include "harness/util/util.h"

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace detlab::analysis {

// ---------------------------------------------------------------- runs and groups
// A machine, as far as a run's output can depend on it: the host name, the CPU model and the
// versions of the tools and compiler the run used (from its provenance), and the session: the
// store the run was recorded in (db::kStoreIdProvenance), so two stores made on one host stay
// apart. A group, and so a row of the table, holds the observations of one machine and session
// only (docs/analysis.md).
struct Machine {
    std::string host, cpu, tools; // tools: "yosys 0.23; nextpnr-ice40 0.4; ..." (one line)
    std::string session;          // the recording store's id (db::Store::store_id)
    bool operator<(const Machine& other) const;
    bool operator==(const Machine& other) const = default;
    // "<host> #<6 hex digits of CPU and tools> s<6 hex digits of the session>": short enough
    // for a table column; other tools, CPUs or stores on one host get different labels.
    std::string label() const;
};
// `store_id`: the session of a run whose provenance names none (the store it is in).
Machine machine_from_provenance(const std::string& host,
                                const std::map<std::string, std::string>& provenance,
                                const std::string& store_id);

struct RunData {
    db::RunRow row;
    Machine machine;
    std::map<std::string, std::string> params;
    std::map<std::string, double> final_metrics;                                // step 0
    std::map<std::string, std::vector<std::pair<std::int64_t, double>>> curves; // step >= 1
    std::map<std::string, std::string> artifacts;                               // name -> sha256
    std::string param(const std::string& key, const std::string& fallback = "") const;
};

// A done run whose stored bytes cannot be read back: a blob that no longer hashes to its name or
// does not decompress (db::BlobCorrupt), or one that is missing. Left out of every figure and
// named in the table's warnings; `detlab db check` lists the same damage and exits 1.
struct DamagedRun {
    std::string run_id, artifact, problem;
    std::string text() const; // "run <id>: <artifact> is damaged (<problem>)"
};

// Runs of one experiment and kind ("toolchain" or "train"; other kinds are skipped) that share
// every setting but `factor`, observed on one machine (runs of other machines form groups of
// their own). Runs with a `study` param are grouped by it; ad-hoc runs without one are grouped by
// identical params except seed-like keys (names containing "seed"), with factor "seed" when seeds
// vary, else "repeat".
struct Group {
    std::string experiment, kind, study, factor;
    Machine machine;             // every run of the group was observed on it
    std::vector<RunData> runs;   // status done, sorted by factor value then repeat
    std::vector<RunData> failed; // failed or timed-out runs (counted, not compared)
    // Further observations of a slot (the same configuration and repeat index in one study:
    // another machine's, merged in, or a retry) beyond the one the group uses. They are kept
    // in the store and compared in the cross-machine view (compare_machines), not here.
    std::size_t further_observations = 0;
    // Done runs the summaries could not read (set by summarize_group, not by group_runs).
    std::vector<DamagedRun> damaged;
    std::string label() const; // "<study> (<factor>)"
};

// Loads every run (optionally of one experiment) with params, metrics and artifact names.
std::vector<RunData> load_runs(const db::Store& store,
                               const std::optional<std::string>& experiment);
std::vector<Group> group_runs(std::vector<RunData> runs);

// A study's outputs against those of the baseline study of its experiment, kind and machine
// (issue 26; analyse() fills it, distance_effects.cpp): study runs x baseline runs, row-major,
// NaN where a pair was not measured; a matrix left empty is not measured.
struct BaselineCross {
    std::size_t study_runs = 0, baseline_runs = 0;
    std::vector<double> normalised;   // differing bits / the pair's expected bits (as `normalised`)
    std::vector<double> disagreement; // training: share of test inputs predicted differently
    std::string note;                 // why `normalised` is not measured
    bool baseline_identical = false;  // 2+ baseline runs, every output byte-identical
};

struct GroupSummary {
    Group group;
    std::optional<ToolchainSummary> toolchain;
    std::optional<TrainingSummary> training;
    std::optional<BaselineCross> from_baseline; // nullopt: no baseline study in the scope
};

// Reads the artifacts each summary needs from the store (blobs are fetched once per sha).
GroupSummary summarize_group(const db::Store& store, const Group& group);
std::vector<GroupSummary> analyse(const db::Store& store,
                                  const std::optional<std::string>& experiment);

// ---------------------------------------------------------------- comparison table

// The source of variation a row measures, in words both domains share where their sources
// correspond (placement and init seeds are both `seed`; parallel refinement and a free reduction
// order both `parallel`): the headline figure and the verdict pair rows by it. `factor`: any
// other study's own factor (ComparisonRow::factor names it, e.g. a grid's term).
enum class Source { seed, repeat, parallel, one_bit_change, one_step_change, factor };
// "seed", "repeat", "parallel", "one-bit change", "one-step change"; Source::factor: `factor`.
std::string source_name(Source source, const std::string& factor = "");

struct ComparisonRow {
    std::string domain; // "toolchain" or "training"
    std::string experiment, study, factor;
    Source source = Source::factor; // in words: source_name(source, factor)
    std::string backend;            // training: the GEMM backend of the group's runs
    Machine machine;                // the one machine whose observations the row holds
    std::size_t runs = 0, failed = 0;
    std::optional<Proportion> differ;    // runs differing from the first run's output
    std::optional<double> identical_pct; // raw: % of pairs with identical outputs
    Estimate representational;           // raw: mean fraction of differing bits
    Estimate normalised;                 // share of the unrelated-output distance
    UnrelatedBaseline baseline;          // what `normalised` is measured against
    // Functional figures, one per meaning (never one column): toolchain, the share of the
    // equivalence check's V random vectors on which two bitstreams' outputs differ (correctness,
    // mean over pairs); training, the share of the N natural test inputs on which two models
    // predict differently (mean over pairs). No value: "not measured".
    Estimate correctness_mismatch;    // toolchain only
    std::size_t mismatch_vectors = 0; // V behind each pair's share (0: unknown)
    Estimate prediction_disagreement; // training only; N is test_samples
    Estimate quality_relative;        // relative spread (CV, %) of Fmax or accuracy
    Estimate quality_raw;             // Fmax std in MHz, accuracy std in pp
    Estimate quality_vs_noise;        // accuracy std / its test-set sampling error
    std::string quality_label;        // "fmax" or "test_accuracy"
    // Against the baseline configuration (the sweep's "baseline" study of the same experiment,
    // kind and machine): the study's mean Fmax (MHz) or test accuracy (pp) minus the baseline's,
    // and for training the mean cross-entropy's difference, each with Welch's 95% interval;
    // effect_rank orders the rows of one experiment, domain and machine by |effect| (1: largest).
    Estimate effect;
    Estimate loss_effect;
    std::size_t baseline_runs = 0; // 0: no baseline observed on this machine
    std::size_t effect_rank = 0;   // 0: no effect
    // The study's outputs against the baseline's (issue 26): the mean over every (study run,
    // baseline run) pair of the normalised bit distance and (training) the prediction
    // disagreement, two-sample bootstrap; and each minus the seed study's of the same scope,
    // joint bootstrap with one baseline resample for both (note "no seed study" when none).
    Estimate distance_from_baseline, disagreement_from_baseline;
    Estimate distance_vs_seed, disagreement_vs_seed;
    std::size_t baseline_pairs = 0; // pairs behind distance_from_baseline
    // Every baseline run's output byte-identical (a deterministic baseline): resampling it changes
    // nothing, so the distance intervals resample the studies' runs alone (kMinFixedBaselineRuns).
    bool baseline_identical = false;
    // A grid's factor rows (FactorialAnalysis): the term ("tools", "seed x tools"), the level
    // compared with the factor's first level (`effect`), and the share of the grid's total sum of
    // squares the term explains (eta squared, %); empty for a study's row. partial_eta_sq:
    // FactorTerm::partial_eta_sq (a fraction, with its noncentral-F interval).
    std::string grid_term, grid_level;
    std::optional<double> variance_share_pct;
    Estimate partial_eta_sq;
    std::vector<std::string> notes;    // e.g. netlists differ, bitstreams do not
    std::vector<std::string> warnings; // e.g. equivalence-check mismatches
    std::string equivalence;           // toolchain: ToolchainSummary::equivalence
    std::vector<std::string> damaged;  // DamagedRun::text() of runs left out (also warnings)
    // issue 25: what the verdict scopes evidence by and resamples (attach_verdict_inputs)
    std::vector<std::pair<std::string, std::string>> scope; // design+device / model+data+...
    std::vector<double> quality_values; // per run: Fmax (MHz) or test accuracy (fraction)
    // Which Fmax quality_values holds: "icetime" (static timing of the packed .asc, where every
    // run of the row has it) or "nextpnr" (the placer's estimate); empty for training.
    std::string fmax_timer;
    std::vector<double> differs; // per run after the first: 1 when its output differs
    std::vector<double> normalised_matrix, functional_matrix; // runs x runs (empty: none)
    std::size_t test_samples = 0;                             // behind each accuracy
    // issue 25: Summers and Dinneen's metric set beside quality_raw (the accuracy's std in pp)
    // and prediction_disagreement: the cross-entropy's std over runs (chi-square interval), the
    // logits' Pearson r and the two-model ensemble's gain in pp, means over pairs (pair_mean).
    Estimate loss_std, logit_correlation, ensemble_gain_pp;
};
std::vector<ComparisonRow> comparison_rows(const std::vector<GroupSummary>& summaries);

// The text of one figure as the table shows it: "12.3% [10.1-14.2] n=20", "0/19 (<=14.6%)".
std::string describe(const Estimate& e, double scale = 1, const std::string& unit = "");
std::string describe(const std::optional<Proportion>& differ);

// ---------------------------------------------------------------- training metric set (issue 25)
// Summers and Dinneen's (ICML 2021, table 1) measures of a training study's variability, each
// with n and a 95% interval whose method covers at that n (docs/analysis.md "Training metric
// set"): the std of test accuracy (pp) and of test cross-entropy over runs (chi-square interval),
// and over pairs of runs the prediction disagreement, the logits' Pearson r and the two-model
// ensemble's accuracy gain (pp) (percentile bootstrap over runs from kMinBootstrapRuns, none
// below: the note says so).
struct TrainingMetricSet {
    std::string label; // "<experiment>/<study>"
    std::string source;
    std::size_t runs = 0, test_samples = 0;
    Estimate accuracy_std_pp, loss_std, disagreement, logit_correlation, ensemble_gain_pp;
    // Against the reference study it is held against (claim 6: the init-seed study): the ratio
    // of the accuracy stds, with the F distribution's interval for a ratio of normal variances'
    // square roots; no value for the reference itself.
    Estimate accuracy_std_ratio;
};
TrainingMetricSet training_metric_set(const ComparisonRow& row);
// Fills the row's loss_std, logit_correlation and ensemble_gain_pp (attach_verdict_inputs).
void attach_training_metrics(const TrainingSummary& summary, ComparisonRow& row);
// Sets set.accuracy_std_ratio: the row's accuracy std over the reference row's.
void compare_accuracy_std(TrainingMetricSet& set, const ComparisonRow& row,
                          const ComparisonRow& reference);
// "study: acc std 0.47 pp [0.37-0.63] n=30; CE std ...; disagreement ...; r ...; ensemble ..."
std::string describe(const TrainingMetricSet& set);
// The metric set of every training row, one line each (empty when there is none).
std::string format_training_metrics(const std::vector<ComparisonRow>& rows);

// ---------------------------------------------------------------- verdict
// The claims of the discussion the project answers, each a pre-declared test (its vocabulary,
// Finding, Margin, Evidence, and its margins: analysis/stats/stats.h).

struct ClaimVerdict {
    int number = 0;
    std::string claim;  // the words of the discussion
    std::string tested; // the proposition the test decides
    Finding finding = Finding::undecided;
    std::string because; // the figures used, with intervals and n
    // issue 25: the pre-declared test and all of its evidence
    std::vector<Margin> margins; // one per part
    std::vector<std::string> tests;
    std::vector<Evidence> evidence;
    bool evidence_disagrees = false;        // decided evidence sets of one part point both ways
    std::optional<std::size_t> n_to_decide; // the largest over undecided evidence sets
    std::optional<double> stability;        // the smallest over the evidence sets
    // Claim 6: Summers and Dinneen's full metric set of both studies of each evidence set, and
    // the ratio of their accuracy stds (context beside the decisive disagreement ratio).
    std::vector<TrainingMetricSet> metric_sets;
};

// Claims 1-5, then as 6 the published result that one changed bit of one initial weight gives
// about the variability of a full reseed (Summers and Dinneen, ICML 2021), on each backend.
std::vector<ClaimVerdict> verdicts(const std::vector<ComparisonRow>& rows);
std::string format_verdicts(const std::vector<ClaimVerdict>& verdicts);
std::string format_verdicts_json(const std::vector<ClaimVerdict>& verdicts); // one array
// Copies what the verdict scopes by and resamples from a group into its row (rows.cpp).
void attach_verdict_inputs(const GroupSummary& summary, ComparisonRow& row);

enum class Format { text, csv, json, markdown };
Format parse_format(const std::string& name); // throws InputError on an unknown name
std::string format_table(const std::vector<ComparisonRow>& rows, Format format);
// One line per toolchain run whose equivalence check found mismatches (empty when none).
std::vector<std::string> equivalence_alarms(const std::vector<ComparisonRow>& rows);
// One line per run left out of the figures because its stored data is damaged.
std::vector<std::string> damaged_alarms(const std::vector<ComparisonRow>& rows);

// ---------------------------------------------------------------- effects
// The study's name that holds the baseline configuration's repeats (the sweep plans it).
inline constexpr const char* kBaselineStudy = "baseline";

// The rows with an effect, largest |effect| first within each experiment, domain and machine:
// "Effects against the baseline" under the text table.
std::string format_effects(const std::vector<ComparisonRow>& rows);

// ---------------------------------------------------------------- factorial
// A `design = "grid"` group analysed as one factorial experiment (one machine): the sums of
// squares of each factor and each two-factor interaction over the cell means (balanced:
// equal runs per cell), the residual (within cells and higher interactions), the share of the
// total each explains (eta squared), its F test against the residual, and each factor's main
// effect: its level's marginal mean minus the first level's, with Welch's interval over the
// runs at either level (the other factors' levels act as replicates). Fisher (1935),
// Montgomery (2017) ch. 5; each term's partial eta squared has the noncentral-F interval of
// Steiger (2004); docs/analysis.md.
struct FactorTerm {
    std::string term;                 // "tools", or "seed x tools" for an interaction
    std::vector<std::string> factors; // one (a main effect) or two (an interaction)
    double sum_squares = 0, dof = 0;  // dof 0: not estimable
    double share = 0;                 // sum_squares / total sum of squares
    std::optional<double> f, p;       // F test against the residual; nullopt: no residual dof
    // SS / (SS + residual SS): the share of what the other terms leave, with its 95% interval
    // from the noncentral F (partial_eta_squared in stats.h; no interval without an F test).
    Estimate partial_eta_sq;
    std::vector<std::pair<std::string, MeanDifference>> level_effects; // mains: vs first level
    std::string reference_level;                                       // mains: the first level
};
struct FactorialAnalysis {
    std::string domain, experiment, metric, unit; // metric: "fmax_mhz" (MHz) or accuracy (pp)
    Machine machine;
    std::size_t runs = 0, cells = 0;
    bool balanced = false;         // the same number of runs in every cell
    std::vector<FactorTerm> terms; // main effects, then two-factor interactions
    FactorTerm residual;           // within cells (and interactions of three or more factors)
    double total_sum_squares = 0;
    std::vector<std::string> notes; // e.g. unbalanced cells, runs without the metric
};
// One analysis per grid group; a grid of one factor or without the metric gives none.
std::vector<FactorialAnalysis> factorial_analyses(const std::vector<GroupSummary>& summaries);
// Rows for the comparison table: one per factor level against the first level, with the main
// effect and the term's variance share; and one per interaction with its share.
std::vector<ComparisonRow> factorial_rows(const std::vector<FactorialAnalysis>& analyses);
std::string format_factorial(const std::vector<FactorialAnalysis>& analyses);

// ---------------------------------------------------------------- across machines
// Every configuration (config_id) with done observations from two or more machines: how often
// two observations from different machines give identical outputs (bitstream.bin, weights.bin)
// and how far apart they are, beside the same figures for pairs from one machine (repeats).
struct MachineComparison {
    std::string kind, config_id;
    std::string label; // "<experiment>/<study> <factor>=<value>" of its first observation
    std::vector<Machine> machines;
    std::size_t observations = 0;
    std::size_t cross_pairs = 0, cross_identical = 0;   // pairs from different machines
    std::size_t within_pairs = 0, within_identical = 0; // pairs from one machine
    Summary cross_distance;    // fraction of differing bits over cross-machine pairs
    bool tools_differ = false; // the machines ran different tool versions
    // Observations whose output could not be read (left out of cross_distance, not of the
    // identical counts, which compare the stored hashes).
    std::vector<DamagedRun> damaged;
};
std::vector<MachineComparison> compare_machines(const db::Store& store,
                                                const std::optional<std::string>& experiment);
std::string format_machines(const std::vector<MachineComparison>& rows, Format format);

// ---------------------------------------------------------------- toolchain versions
// One toolchain of a `tools` study (factor "tools": the same build on each toolchain root),
// compared with the study's first toolchain (its first run against the reference's first run).
struct ToolchainVersion {
    std::string experiment, study, tools;
    std::string versions; // "yosys 0.52; nextpnr-ice40 0.7-1+b2; fpga-icestorm ..." (provenance)
    std::size_t runs = 0, failed = 0;
    bool reference = false;
    std::map<std::string, Summary> metrics; // cells, Fmax, per-stage wall/CPU/peak RSS over runs
    std::optional<bool> identical_netlist, identical_bin; // nullopt: an artifact is missing
    std::optional<BitstreamDistance> bits;
    std::optional<NetlistDistance> netlist;
    std::optional<double> functional; // equivalence outputs; nullopt: not measured
    // Why `functional` is not measured: no check ran, or a check ran and did not simulate (its
    // reason), so the hint names the right remedy (issue 31).
    std::string functional_missing;
};
std::vector<ToolchainVersion> toolchain_versions(const db::Store& store,
                                                 const std::optional<std::string>& experiment);
// Text (a block per toolchain) or JSON; empty when there is no tools study.
std::string format_toolchain_versions(const std::vector<ToolchainVersion>& rows, Format format);

// ---------------------------------------------------------------- trained models on bitstreams
// A stored `detlab equiv model` result (a run of kind "model_on_bitstream"), read from its
// metrics. Such runs are not grouped or put in the comparison table: they compare across both
// domains at once.
struct ModelOnBitstream {
    std::string id, experiment, status;
    int models = 0, bitstreams = 0, samples = 0;
    int prediction_mismatches = 0, logit_mismatches = 0; // vs the golden model, summed
    bool identical_across_bitstreams = false;
    std::optional<double> model_disagreement; // fraction; nullopt with a single model
    // "first" (the split's first samples) or "disagreement" (samples where the models differ
    // first, so model_disagreement is not a rate for the whole split).
    std::string pick = "first";
    std::string reading() const; // one sentence saying what the numbers mean
};
std::vector<ModelOnBitstream> model_on_bitstream_runs(const db::Store& store,
                                                      const std::optional<std::string>& experiment);

// ---------------------------------------------------------------- plots and report
struct PlotFile {
    std::string title;
    std::filesystem::path svg, png;
};
// Writes the plots that the data supports (a plot without data is skipped) as SVG and PNG into
// `dir` with gnuplot, through detlab::process::run; their data and script files stay beside
// them. Throws std::runtime_error with gnuplot's message when gnuplot fails.
std::vector<PlotFile> make_plots(const std::vector<GroupSummary>& summaries,
                                 const std::filesystem::path& dir);

// The forest plot of the effects against the baseline: one line per source with its 95%
// interval, a panel per domain (Fmax in MHz, accuracy in pp); nullopt when no row has an effect.
std::optional<PlotFile> forest_plot(const std::vector<ComparisonRow>& rows,
                                    const std::filesystem::path& dir);
// The same for the distances from the baseline's outputs (`forest_distance`): the bit distance
// on the common scale (toolchain and training panels on one x range, 1 = unrelated outputs) and
// training's prediction disagreement; rows with an interval only. nullopt when none has one.
std::optional<PlotFile> distance_forest_plot(const std::vector<ComparisonRow>& rows,
                                             const std::filesystem::path& dir);

struct ReportOptions {
    std::optional<std::string> experiment;
    std::filesystem::path out_dir = "report";
};
struct ReportFiles {
    std::filesystem::path html, csv;
    std::vector<PlotFile> plots;
    std::size_t groups = 0;
    std::vector<std::string> damaged; // runs left out because their stored data is damaged
};
// Writes report.html (self-contained: plots inline as base64 SVG), comparison.csv and the plots.
ReportFiles write_report(const db::Store& store, const ReportOptions& options);

// ---------------------------------------------------------------- benchmark
// `detlab bench compare`: a synthetic store of `runs` toolchain runs in one study (small
// perturbed bitstreams, Fmax), timed through analyse() and comparison_rows() as `compare` runs
// them, and the pairwise figures' intervals by the bootstrap over the same matrices (what
// compare did for every group before kBootstrapMaxRuns; skipped above `old_max_runs`).
struct CompareBenchResult {
    std::size_t runs = 0;
    double store_seconds = 0;                // writing the synthetic store (not part of compare)
    double compare_seconds = 0;              // analyse + comparison_rows
    std::optional<double> bootstrap_seconds; // the three pairwise figures' bootstrap
    std::size_t matrix_bytes = 0;            // the group's n x n matrices: 3 x 8 n^2
    std::string interval_method;             // "bootstrap" or "jackknife"
};
CompareBenchResult bench_compare(std::size_t runs, const std::filesystem::path& dir,
                                 std::size_t old_max_runs = 1000);

// ---------------------------------------------------------------- suite (issue 27)
// The design suite's view: one row per toolchain study with its design ("accelerator 4x4",
// "crc32_top LANES=4"), family (param `family`, else from the device), device and logic
// utilisation (metric logic_utilisation_pct), beside the comparison's figures with n and 95%
// intervals. docs/analysis.md "The design suite".
struct SuiteRow {
    std::string experiment, family, device, design, study, factor;
    std::size_t runs = 0, failed = 0;
    Estimate utilisation_pct; // mean over builds; note: the range (packing may move a few cells)
    Estimate differ;          // share of builds after the first whose bitstream differs (C-P)
    Estimate hamming_pct;     // mean bit distance over pairs, % of configuration bits (bootstrap)
    Estimate fmax_mhz;        // mean (Student's t), and std (chi-square interval)
    Estimate fmax_std_mhz;
    std::string distance_over; // "cram+bram", "frames+ebr" or "file"
    std::string equivalence;
};
std::vector<SuiteRow> suite_rows(const std::vector<GroupSummary>& summaries);
std::string suite_table(const std::vector<SuiteRow>& rows); // for people
std::string suite_csv(const std::vector<SuiteRow>& rows);   // cells through csv_cell
// suite_hamming and suite_fmax_std (.svg, .png, with .dat and .gp beside): seed studies' figure
// against utilisation, one series per family, 95% intervals as error bars.
std::vector<PlotFile> suite_plots(const std::vector<SuiteRow>& rows,
                                  const std::filesystem::path& dir);

} // namespace detlab::analysis
