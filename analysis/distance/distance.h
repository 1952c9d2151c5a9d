// Distances between the outputs of two runs, pure functions of bytes and tensors: bits of
// bitstreams (over the iCE40, ECP5 or Gowin configuration payload), weights, logits and
// predictions, equivalence-check outputs and synthesised netlists' cell mixes. No store, no
// process: tested on hand-made inputs (tests/analysis). What each one means: docs/analysis.md.
#pragma once

#include "analysis/stats/stats.h"
#include "harness/tensor_file/tensor_file.h"
#include "harness/util/util.h"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace detlab::analysis {

// ---- bit distances
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

// The configuration payload of an ECP5 .bit (issue 27): every configuration frame's bits (frame
// index x bits per frame, pad bits left out) and then every block RAM of the die (2048 9-bit
// words each, at the EBR's number, unwritten ones zero), without the header, commands, CRCs and
// dummy bytes. The die comes from the VERIFY_ID command. nullopt when the bytes are not an
// uncompressed ECP5 bitstream of a known die. docs/toolchain.md "ECP5".
std::optional<Bytes> ecp5_config_payload(std::span<const std::uint8_t> bit);
// The configuration payload of a Gowin .fs (issue 27; gowin_pack's text of '0'/'1' lines): every
// configuration frame's content bits in file order (frame x bits per frame), without the header
// and footer commands and each frame's pad bits, CRC-16 and trailer ones. The die, hence the pad
// width, comes from the device ID command. nullopt when the bytes are not an uncompressed .fs of
// a known die. docs/suite.md "Gowin".
std::optional<Bytes> gowin_config_payload(std::span<const std::uint8_t> fs);
// Each family's payload and what it covers: "cram+bram" (iCE40), "frames+ebr" (ECP5) or
// "frames" (Gowin).
struct ConfigPayload {
    Bytes bits;
    std::string over;
};
std::optional<ConfigPayload> config_payload(std::span<const std::uint8_t> bitstream);

// Distance between two bitstreams over the configuration payload when both parse as one family
// with the same payload size (`BitstreamDistance::over` names it: "cram+bram", "frames+ebr" or
// "frames"),
// else over all file bytes.
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

// ---- training distances
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

// ---- netlists
// How far two synthesised netlists (yosys JSON) are apart as cell counts per cell type, over
// every non-blackbox module: sum |a_t - b_t| / (cells_a + cells_b), 0 for the same cell mix and
// 1 for disjoint ones. Names are ignored (they change with any edit); a bit distance of JSON text
// would mean nothing. Throws std::runtime_error when a side is not a yosys netlist.
struct NetlistDistance {
    std::uint64_t cells_a = 0, cells_b = 0, type_difference = 0;
    std::map<std::string, std::pair<long, long>> changed_types; // type -> (count a, count b)
    double fraction() const;
};
NetlistDistance netlist_distance(std::string_view a_json, std::string_view b_json);

// ---- `detlab bench distances`: the word-wide count against the byte loop
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

// ---- the common scale
// The yardstick of the common scale: for each pair of outputs, the distance expected between two
// *independent* outputs with the same bit densities, sum over classes of positions of
// N (p_a + p_b - 2 p_a p_b), where a class is one float32 bit index (weights: sign, exponent and
// mantissa bits are set at very different rates) or all configuration bits (bitstreams, where a
// bit set in neither output adds almost nothing, so bits that never vary barely count).
struct UnrelatedBaseline {
    std::size_t outputs = 0;        // runs compared
    std::uint64_t total_bits = 0;   // bits per output
    std::uint64_t varying_bits = 0; // positions set in some of the group's outputs, clear in others
    double expected_bits = 0;       // mean over pairs; 0: no baseline
    std::string classes;            // "float32 bit index" or "configuration bits"
};

// What each summary says about one kind of output of a group's runs.
struct OutputComparison {
    // Runs after the first whose output differs from the first run's (byte-wise): k of runs-1.
    std::optional<Proportion> differ;
    std::optional<double> identical_pairs; // raw: share of pairs with identical output
    std::vector<double> bits_matrix;       // differing-bit fraction, runs x runs (NaN: missing)
    std::vector<double> normalised_matrix; // differing bits / the pair's expected bits
    UnrelatedBaseline baseline;
};

// ---- what the distances and statistics say about a group's runs (summarize_group)
struct ToolchainSummary {
    std::size_t pairs = 0;
    // Fractions of pairs with byte-identical artifacts; nullopt when runs lack the artifact.
    std::optional<double> identical_bin, identical_asc, identical_netlist;
    std::optional<Proportion> netlist_differ; // as OutputComparison::differ, for netlist.json
    // Per pair, the first stage whose output differs: "none", "netlist", "asc", "bin".
    std::map<std::string, std::size_t> first_divergence;
    std::string distance_over;          // "cram+bram" or "file"
    std::uint64_t config_bits = 0;      // bits compared per pair
    Summary hamming, jaccard;           // over pairs
    std::vector<double> hamming_matrix; // runs x runs, row-major
    OutputComparison bitstream;
    Summary fmax_mhz, logic_cells, tools_wall_s;
    std::optional<double> functional;      // mean output disagreement over pairs (equiv outputs)
    std::size_t equiv_vectors = 0;         // vectors behind each pair's figure (0: unknown)
    std::vector<double> functional_matrix; // runs x runs; empty when not measured
    std::vector<std::string> equiv_mismatch_runs; // runs with equiv_mismatches > 0
    // The equivalence check of the group's bitstreams in words, per verdict: "15/15 no
    // difference in 256 vectors (mismatch rate <= 1.2% each, 95%)", "1/15 DIFFERS", "2/15 not
    // checked: why"; never empty (a group never checked says so).
    std::string equivalence;
    bool equivalence_differs = false;
};

struct TrainingSummary {
    std::size_t pairs = 0;
    double identical_weights = 0;                                           // fraction of pairs
    Summary weight_bits, relative_l2, disagreement, pearson, ensemble_gain; // over pairs
    OutputComparison weights;
    std::vector<double> disagreement_matrix; // runs x runs; empty when no logits
    // Summers and Dinneen's pairwise metrics per pair (runs x runs; empty when no logits):
    // Pearson r of the two models' logits, and the two-model ensemble's accuracy gain.
    std::vector<double> pearson_matrix, ensemble_gain_matrix;
    Summary accuracy, loss; // final test accuracy / cross-entropy over runs
    BootstrapCI accuracy_ci, loss_ci;
    std::size_t test_samples = 0; // test-set size behind each accuracy (0: unknown)
};

} // namespace detlab::analysis
