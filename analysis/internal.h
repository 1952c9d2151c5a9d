// Private to analysis/: the blob cache and the bit vectors of a run's main output, shared by
// the per-group summaries and the experiment-wide baseline of the common scale.
#pragma once

#include "analysis/analysis.h"

namespace detlab::analysis::detail {

// Fetches each blob once: pairs and groups reuse what runs share.
class BlobCache {
public:
    explicit BlobCache(const db::Store& store) : store_(store) {}
    const Bytes& get(const std::string& sha);

private:
    const db::Store& store_;
    std::map<std::string, Bytes> cache_;
};

std::string sha_of(const RunData& run, const std::string& artifact);
// The run's equivalence verdict ("proved", "differs", ...) with its stored proof added: a proof
// that decided wins over the simulation's `simulated` verdict (proof_verdict.cpp).
std::string verdict_with_proof(const RunData& run, BlobCache& blobs, const std::string& simulated);

// The comparison table as text cells, the header row first: what the text, markdown and HTML
// renderings show (each escapes the cells for its own syntax).
std::vector<std::vector<std::string>> comparison_cells(const std::vector<ComparisonRow>& rows);
// One cell of a markdown table: '|' cannot end the cell, a line break cannot end the row, and
// no markup (HTML, links, emphasis, code) can come from a stored name: every character that
// means something to markdown is backslash-escaped, control characters become spaces.
std::string markdown_cell(std::string_view text);

// The artifact whose bytes are "the output" of a run of this kind: bitstream.bin or weights.bin.
std::string main_artifact(const std::string& kind);

// The bits the common scale compares: an iCE40 .bin's configuration payload (the whole file when
// it does not parse), or the float32 bit patterns of every weight tensor in file order. nullopt
// when the run lacks the artifact.
std::optional<Bytes> output_bits(const RunData& run, const std::string& kind, BlobCache& blobs);

// Set bits of one output per class of bit positions: float32 weights by bit index within their
// word (32 classes: sign, exponent and mantissa bits are set at very different rates), bitstream
// configuration bits as one class.
struct BitDensity {
    std::vector<std::uint64_t> set, size; // per class
};
BitDensity bit_density(std::span<const std::uint8_t> bits, bool float_words);

// Differing bits expected between two independent outputs with these densities:
// sum over classes of N (p_a + p_b - 2 p_a p_b).
double expected_distance(const BitDensity& a, const BitDensity& b);

// Bit positions set in some of these equal-length outputs and clear in others.
std::uint64_t varying_positions(const std::vector<Bytes>& outputs);

// Text as HTML element content or a quoted attribute: & < > " escaped (report.cpp).
std::string html_escape(const std::string& text);
// The report's Groups, Provenance and Experiment files sections (report_details.cpp).
std::string report_details_html(const db::Store& store, const std::vector<GroupSummary>& summaries);

// Writes `name`.gp and renders it as SVG and PNG with gnuplot (plots.cpp); the script holds no
// data text: labels reach gnuplot through data files, quoted by plot_data_label.
void render_plot(const std::filesystem::path& dir, const std::string& name,
                 const std::string& title, const std::string& script, std::vector<PlotFile>& plots,
                 int width, int height);
std::string plot_data_label(const std::string& text);

// The mean over the pairs of a runs x runs matrix with its bootstrap interval and n (rows.cpp); no
// value when the matrix is empty.
Estimate from_pairs(const std::vector<double>& matrix, std::size_t runs);

// The row's effects against the baseline group (nullptr: none on this machine): effect.cpp.
void fill_effects(const GroupSummary& group, const GroupSummary* baseline, ComparisonRow& row);
// Numbers effect_rank within each experiment, domain and machine by |effect|, largest first.
void rank_effects(std::vector<ComparisonRow>& rows);

// A training run's decoded weights, test logits and labels (baseline.cpp).
struct TrainingArtifacts {
    std::vector<Tensor> weights;
    Tensor logits, labels;
};
TrainingArtifacts decode_training(const RunData& run, BlobCache& blobs);

// "+3.1 MHz [1.2, 5.0] n=12" (effects.cpp); no interval: the note in parentheses; no value: the
// note alone. `sign`: a + before a positive value; `scale`: into the unit shown.
std::string signed_estimate(const Estimate& e, const std::string& unit, bool sign = true,
                            double scale = 1);

// Every study's outputs against its scope's baseline study (GroupSummary::from_baseline), and
// from them the rows' distances from the baseline and against the seed study, and their lines
// under the effects (distance_effects.cpp). `sources[i]`: the summary of rows[i].
void attach_baseline_cross(std::vector<GroupSummary>& summaries, BlobCache& blobs);
void fill_distance_effects(const std::vector<const GroupSummary*>& sources,
                           std::vector<ComparisonRow>& rows);
std::string format_distance_effects(const std::vector<ComparisonRow>& rows);

} // namespace detlab::analysis::detail
