// Comparison analysis: distances between the outputs of runs that differ in one factor,
// statistics per group, the cross-domain comparison table, gnuplot plots and the HTML report.
// The pure functions (distances, statistics) take bytes and tensors, so they are tested on
// hand-made inputs; the rest reads runs from a db::Store.
#pragma once

#include "db/store.h"
#include "harness/common/common.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace detlab::analysis {

// ---------------------------------------------------------------- bit distances
// Bits that differ between two equal-length bit vectors and the set bits of each, counted with
// 64-bit words and std::popcount. Unequal lengths: the shorter one is zero-padded.
struct BitDistance {
    std::uint64_t total_bits = 0;     // bits compared
    std::uint64_t differing_bits = 0; // Hamming distance
    std::uint64_t set_a = 0, set_b = 0, set_both = 0;
    double hamming() const; // differing_bits / total_bits (0 for empty input)
    double jaccard() const; // 1 - |A and B| / |A or B| over set bits (0 when both empty)
};
BitDistance bit_distance(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
// The same result from a byte-by-byte loop: the baseline of `detlab bench distances`.
BitDistance bit_distance_naive(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// The configuration payload of an iCE40 .bin: the CRAM and BRAM data blocks of every bank in
// file order, without the comment, preamble, commands, CRCs and padding. nullopt when the
// bytes are not an iCE40 bitstream. Its bit count is the device's configuration bits.
std::optional<Bytes> ice40_config_payload(std::span<const std::uint8_t> bin);

// Distance between two .bin files over the configuration payload when both parse with the same
// payload size (what `BitstreamDistance::over` calls "cram+bram"), else over all file bytes.
struct BitstreamDistance {
    BitDistance bits;
    std::string over; // "cram+bram" or "file"
};
BitstreamDistance bitstream_distance(std::span<const std::uint8_t> a,
                                     std::span<const std::uint8_t> b);

// All pairwise Hamming and Jaccard distances of equal-length bit vectors, each vector's set
// bits counted once. Row-major n x n matrices with zero diagonals.
struct PairwiseDistances {
    std::size_t n = 0;
    std::vector<double> hamming, jaccard;
};
PairwiseDistances pairwise_distances(const std::vector<std::span<const std::uint8_t>>& vectors);

// ---------------------------------------------------------------- training distances
struct WeightDistance {
    bool identical = false;           // every byte of every tensor equal
    std::uint64_t total_bits = 0;     // 32 per float value
    std::uint64_t differing_bits = 0; // over the float32 bit patterns
    double relative_l2 = 0;           // ||a - b|| / ||a|| over all values (0 when both zero)
    double differing_bit_fraction() const;
};
// Tensors are matched by name; a missing tensor or a shape mismatch throws std::runtime_error.
WeightDistance weight_distance(const std::vector<Tensor>& a, const std::vector<Tensor>& b);

double pearson(std::span<const float> x, std::span<const float> y); // NaN if a side is constant
std::vector<std::uint32_t> argmax_rows(const Tensor& logits);       // logits [n x classes]
double accuracy(const Tensor& logits, const Tensor& labels);
double cross_entropy(const Tensor& logits, const Tensor& labels); // mean, natural log

struct LogitsComparison {
    double disagreement = 0; // fraction of test samples whose argmax differs
    double pearson = 0;      // over all logits
    double accuracy_a = 0, accuracy_b = 0;
    double ensemble_accuracy = 0; // argmax of the mean of both softmaxes
    double ensemble_gain = 0;     // ensemble_accuracy - mean(accuracy_a, accuracy_b)
};
LogitsComparison compare_logits(const Tensor& logits_a, const Tensor& logits_b,
                                const Tensor& labels);

// Fraction of vectors whose int32 outputs differ between two equiv_outputs.bin files
// (`words_per_vector` int32 values per vector). Unequal sizes count as all different.
double output_disagreement(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                           std::size_t words_per_vector);

// ---------------------------------------------------------------- statistics
struct Summary {
    std::size_t n = 0;
    double mean = 0, std = 0, cv = 0, min = 0, max = 0; // std: sample (n-1); cv = std / |mean|
};
Summary summarize(std::span<const double> values); // NaNs skipped; n = 0 when none remain

struct Interval {
    double low = 0, high = 0;
};
// Percentile bootstrap intervals of the mean and the sample standard deviation.
inline constexpr int kBootstrapResamples = 2000;
inline constexpr std::uint64_t kBootstrapSeed = 20240607;
struct BootstrapCI {
    Interval mean, std;
};
BootstrapCI bootstrap_ci(std::span<const double> values, double confidence = 0.95,
                         int resamples = kBootstrapResamples, std::uint64_t seed = kBootstrapSeed);

// ---------------------------------------------------------------- runs and groups
struct RunData {
    db::RunRow row;
    std::map<std::string, std::string> params;
    std::map<std::string, double> final_metrics;                                // step 0
    std::map<std::string, std::vector<std::pair<std::int64_t, double>>> curves; // step >= 1
    std::map<std::string, std::string> artifacts;                               // name -> sha256
    std::string param(const std::string& key, const std::string& fallback = "") const;
};

// Runs of one experiment and kind ("toolchain" or "train"; other kinds are skipped) that share
// every setting but `factor`. Runs with a `study`
// param are grouped by it; ad-hoc runs without one are grouped by identical params except
// seed-like keys (names containing "seed"), with factor "seed" when seeds vary, else "repeat".
struct Group {
    std::string experiment, kind, study, factor;
    std::vector<RunData> runs;   // status done, sorted by factor value then repeat
    std::vector<RunData> failed; // failed or timed-out runs (counted, not compared)
    // Further observations of a slot (the same configuration and repeat index in one study:
    // another machine's, merged in, or a retry) beyond the one the group uses. They are kept
    // in the store and compared in the cross-machine view (compare_machines), not here.
    std::size_t further_observations = 0;
    std::string label() const; // "<study> (<factor>)"
};

// Loads every run (optionally of one experiment) with params, metrics and artifact names.
std::vector<RunData> load_runs(const db::Store& store,
                               const std::optional<std::string>& experiment);
std::vector<Group> group_runs(std::vector<RunData> runs);

struct ToolchainSummary {
    std::size_t pairs = 0;
    // Fractions of pairs with byte-identical artifacts; nullopt when runs lack the artifact.
    std::optional<double> identical_bin, identical_asc, identical_netlist;
    // Per pair, the first stage whose output differs: "none", "netlist", "asc", "bin".
    std::map<std::string, std::size_t> first_divergence;
    std::string distance_over;          // "cram+bram" or "file"
    std::uint64_t config_bits = 0;      // bits compared per pair
    Summary hamming, jaccard;           // over pairs
    std::vector<double> hamming_matrix; // runs x runs, row-major
    Summary fmax_mhz, logic_cells, tools_wall_s;
    std::optional<double> functional; // mean output disagreement over pairs (equiv outputs)
    std::vector<std::string> equiv_mismatch_runs; // runs with equiv_mismatches > 0
};

struct TrainingSummary {
    std::size_t pairs = 0;
    double identical_weights = 0;                                           // fraction of pairs
    Summary weight_bits, relative_l2, disagreement, pearson, ensemble_gain; // over pairs
    Summary accuracy, loss; // final test accuracy / cross-entropy over runs
    BootstrapCI accuracy_ci, loss_ci;
};

struct GroupSummary {
    Group group;
    std::optional<ToolchainSummary> toolchain;
    std::optional<TrainingSummary> training;
};

// Reads the artifacts each summary needs from the store (blobs are fetched once per sha).
GroupSummary summarize_group(const db::Store& store, const Group& group);
std::vector<GroupSummary> analyse(const db::Store& store,
                                  const std::optional<std::string>& experiment);

// ---------------------------------------------------------------- comparison table
struct ComparisonRow {
    std::string domain; // "toolchain" or "training"
    std::string experiment, study, factor;
    std::size_t runs = 0, failed = 0;
    std::optional<double> identical_pct;    // of pairs with identical outputs (.bin / weights)
    std::optional<double> representational; // mean fraction of differing bits
    std::optional<double> functional;       // mean disagreement; nullopt: "not measured"
    std::optional<double> quality_spread;   // Fmax CV in % (toolchain), accuracy std in pp
    std::string quality_label;              // "fmax_cv_pct" or "test_accuracy_std_pp"
    std::vector<std::string> warnings;      // e.g. equivalence-check mismatches
};
std::vector<ComparisonRow> comparison_rows(const std::vector<GroupSummary>& summaries);

enum class Format { text, csv, json, markdown };
Format parse_format(const std::string& name); // throws InputError on an unknown name
std::string format_table(const std::vector<ComparisonRow>& rows, Format format);
// One line per toolchain run whose equivalence check found mismatches (empty when none).
std::vector<std::string> equivalence_alarms(const std::vector<ComparisonRow>& rows);

// ---------------------------------------------------------------- across machines
// A machine, as far as a run's output can depend on it: the host name, the CPU model and the
// versions of the tools and compiler the run used (from its provenance).
struct Machine {
    std::string host, cpu, tools; // tools: "yosys 0.23; nextpnr-ice40 0.4; ..." (one line)
    bool operator<(const Machine& other) const;
    bool operator==(const Machine& other) const = default;
};

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
};
std::vector<MachineComparison> compare_machines(const db::Store& store,
                                                const std::optional<std::string>& experiment);
std::string format_machines(const std::vector<MachineComparison>& rows, Format format);

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

struct ReportOptions {
    std::optional<std::string> experiment;
    std::filesystem::path out_dir = "report";
};
struct ReportFiles {
    std::filesystem::path html, csv;
    std::vector<PlotFile> plots;
    std::size_t groups = 0;
};
// Writes report.html (self-contained: plots inline as base64 SVG), comparison.csv and the plots.
ReportFiles write_report(const db::Store& store, const ReportOptions& options);

// ---------------------------------------------------------------- benchmark
struct DistanceBenchResult {
    std::size_t bitstreams = 0, bytes_each = 0, pairs = 0;
    double seconds = 0, pairs_per_s = 0; // word-wide popcount, all pairs
    std::size_t baseline_pairs = 0;      // pairs timed with the naive loop
    double baseline_seconds = 0, baseline_pairs_per_s = 0;
    double speedup = 0;      // pairs_per_s / baseline_pairs_per_s
    double mean_hamming = 0; // checksum so the work is not optimised away
    bool agree = false;      // naive and fast results equal on the sample
};
DistanceBenchResult bench_distances(std::size_t bitstreams = 200, std::size_t bytes_each = 135100,
                                    std::size_t baseline_pairs = 200, std::uint64_t seed = 1);

} // namespace detlab::analysis
