// The comparison rows: every figure of a group as an Estimate with n and a 95% interval.
#include "analysis/internal.h"

#include <cmath>

namespace detlab::analysis {

namespace detail {

Estimate from_pairs(const std::vector<double>& matrix, std::size_t runs) {
    Estimate e;
    e.n = runs;
    if (matrix.empty())
        return e;
    PairMean m = pair_mean(matrix, runs);
    if (m.pairs == 0)
        return e;
    e.value = m.mean;
    e.ci = m.ci;
    if (m.all_zero)
        e.note = "all identical";
    else if (!m.ci)
        e.note = "n=" + std::to_string(runs) + " too small for a bootstrap interval";
    return e;
}

} // namespace detail

std::string source_name(Source source, const std::string& factor) {
    switch (source) {
    case Source::seed:
        return "seed";
    case Source::repeat:
        return "repeat";
    case Source::parallel:
        return "parallel";
    case Source::one_bit_change:
        return "one-bit change";
    case Source::one_step_change:
        return "one-step change";
    case Source::factor:
        break;
    }
    return factor;
}

namespace {

using detail::from_pairs;

// The source of variation both domains share where their sources correspond.
Source source_of(const Group& g) {
    auto has = [&](const std::string& key, const std::string& value) {
        for (const auto& run : g.runs)
            if (run.param(key) == value)
                return true;
        return false;
    };
    bool toolchain = db::run_kind(g.kind) == db::RunKind::toolchain;
    if (g.factor == (toolchain ? "seed" : "init_seed"))
        return Source::seed;
    if (g.factor == "repeat")
        return has(toolchain ? "parallel_refine" : "backend", toolchain ? "true" : "float-atomic")
                   ? Source::parallel
                   : Source::repeat;
    if (g.factor == "bit_flip")
        return Source::one_bit_change;
    if (g.factor == "weight_step")
        return Source::one_step_change;
    return Source::factor;
}

// The spread of a per-run metric; `scale` turns the std into the unit shown, `divide` (e.g.
// the mean, for a relative spread) the std into a ratio.
Estimate spread(const Summary& s, double scale, double divide) {
    Estimate e;
    e.n = s.n;
    if (s.n == 0)
        return e;
    if (s.n == 1) {
        e.note = "n=1: no spread";
        return e;
    }
    if (s.std == 0 && s.min == s.max) {
        e.value = 0;
        e.note = "all identical";
        return e;
    }
    if (divide == 0 || std::isnan(divide))
        return e;
    e.value = s.std * scale / divide;
    if (auto ci = std_interval(s.std, s.n))
        e.ci = Interval{ci->low * scale / divide, ci->high * scale / divide};
    return e;
}

void fill_toolchain(const ToolchainSummary& t, ComparisonRow& row) {
    row.differ = t.bitstream.differ;
    if (t.bitstream.identical_pairs)
        row.identical_pct = *t.bitstream.identical_pairs * 100;
    row.representational = from_pairs(t.bitstream.bits_matrix, row.runs);
    row.normalised = from_pairs(t.bitstream.normalised_matrix, row.runs);
    row.baseline = t.bitstream.baseline;
    row.correctness_mismatch = from_pairs(t.functional_matrix, row.runs);
    row.mismatch_vectors = t.equiv_vectors;
    row.quality_label = "fmax";
    row.quality_relative = spread(t.fmax_mhz, 100, std::fabs(t.fmax_mhz.mean));
    row.quality_raw = spread(t.fmax_mhz, 1, 1);
    if (t.netlist_differ && row.differ && t.netlist_differ->k > 0 && row.differ->k == 0)
        row.notes.push_back("netlists differ (" + std::to_string(t.netlist_differ->k) + "/" +
                            std::to_string(t.netlist_differ->n) +
                            " runs) but every bitstream is identical");
    for (const auto& id : t.equiv_mismatch_runs)
        row.warnings.push_back("run " + id + " failed the equivalence check");
    row.equivalence = t.equivalence;
}

void fill_training(const TrainingSummary& t, ComparisonRow& row) {
    row.differ = t.weights.differ;
    if (t.weights.identical_pairs)
        row.identical_pct = *t.weights.identical_pairs * 100;
    row.representational = from_pairs(t.weights.bits_matrix, row.runs);
    row.normalised = from_pairs(t.weights.normalised_matrix, row.runs);
    row.baseline = t.weights.baseline;
    row.prediction_disagreement = from_pairs(t.disagreement_matrix, row.runs);
    row.quality_label = "test_accuracy";
    row.quality_relative = spread(t.accuracy, 100, std::fabs(t.accuracy.mean));
    row.quality_raw = spread(t.accuracy, 100, 1);
    // The noise of the metric itself: the binomial standard error of one accuracy measured on
    // test_samples samples.
    double p = t.accuracy.mean;
    if (t.test_samples > 0 && p > 0 && p < 1) {
        double se = std::sqrt(p * (1 - p) / double(t.test_samples));
        row.quality_vs_noise = spread(t.accuracy, 1, se);
    }
}

// The baseline study's summary of the same experiment, kind and machine.
const GroupSummary* baseline_of(const std::vector<GroupSummary>& summaries, const Group& g) {
    for (const auto& s : summaries)
        if (s.group.study == kBaselineStudy && s.group.experiment == g.experiment &&
            s.group.kind == g.kind && s.group.machine == g.machine)
            return &s;
    return nullptr;
}

} // namespace

std::vector<ComparisonRow> comparison_rows(const std::vector<GroupSummary>& summaries) {
    std::vector<ComparisonRow> rows;
    std::vector<const GroupSummary*> sources; // sources[i]: the summary of rows[i]
    for (const auto& summary : summaries) {
        const Group& g = summary.group;
        // A lone ad-hoc run (e.g. one `detlab synth`) has nothing to be compared with.
        if (g.study.rfind("adhoc", 0) == 0 && g.runs.size() < 2 && g.failed.empty() &&
            g.damaged.empty())
            continue;
        ComparisonRow row;
        row.domain = db::run_kind(g.kind) == db::RunKind::train ? "training" : g.kind;
        row.experiment = g.experiment;
        row.study = g.study;
        row.factor = g.factor;
        row.source = source_of(g);
        row.machine = g.machine;
        if (db::run_kind(g.kind) == db::RunKind::train && !g.runs.empty())
            row.backend = g.runs.front().param("backend");
        row.runs = g.runs.size();
        row.failed = g.failed.size();
        if (g.further_observations > 0)
            row.warnings.push_back(std::to_string(g.further_observations) +
                                   " further observations of these runs on this machine "
                                   "(retries or merged copies) not in these figures");
        for (const auto& damage : g.damaged) {
            row.damaged.push_back(damage.text());
            row.warnings.push_back(damage.text() +
                                   ": left out of these figures (detlab db check lists it)");
        }
        if (summary.toolchain)
            fill_toolchain(*summary.toolchain, row);
        else if (summary.training)
            fill_training(*summary.training, row);
        detail::fill_effects(summary, baseline_of(summaries, g), row);
        attach_verdict_inputs(summary, row); // issue 25
        if (row.runs < 2 && !row.effect.value)
            row.warnings.push_back("fewer than 2 completed runs: nothing to compare");
        else if (row.runs < 2)
            row.notes.push_back("one run: compared with the baseline only");
        rows.push_back(std::move(row));
        sources.push_back(&summary);
    }
    detail::rank_effects(rows);
    detail::fill_distance_effects(sources, rows); // issue 26
    return rows;
}

} // namespace detlab::analysis
