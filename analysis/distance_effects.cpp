// Distances against the baseline (issue 26): how far each study's outputs are from the baseline
// study's, as bits on the common scale and (training) as predictions, and whether a source moves
// the outputs further from the baseline than a seed does.
#include "analysis/internal.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <tuple>

namespace detlab::analysis::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// What the bit distance reads of each run, decoded once per group.
struct Outputs {
    std::vector<std::optional<Bytes>> bits;
    std::vector<BitDensity> density; // empty density for a run without its output
};

Outputs decode_outputs(const Group& g, BlobCache& blobs) {
    Outputs out;
    bool float_words = db::run_kind(g.kind) == db::RunKind::train;
    for (const auto& run : g.runs) {
        out.bits.push_back(output_bits(run, g.kind, blobs));
        out.density.push_back(out.bits.back() ? bit_density(*out.bits.back(), float_words)
                                              : BitDensity{});
    }
    return out;
}

// Study runs x baseline runs: differing bits over the pair's expected bits, the normalisation of
// the row's own `normalised` figure; NaN where a side lacks its output or the sizes differ.
std::vector<double> normalised_cross(const Outputs& study, const Outputs& base) {
    std::size_t n_b = base.bits.size();
    std::vector<double> matrix(study.bits.size() * n_b, kNaN);
    for (std::size_t i = 0; i < study.bits.size(); ++i)
        for (std::size_t j = 0; j < n_b; ++j) {
            const auto &a = study.bits[i], &b = base.bits[j];
            if (!a || !b || a->size() != b->size())
                continue;
            double expected = expected_distance(study.density[i], base.density[j]);
            if (expected > 0)
                matrix[i * n_b + j] = double(bit_distance(*a, *b).differing_bits) / expected;
        }
    return matrix;
}

// Study runs x baseline runs: the share of test inputs the two models predict differently.
std::vector<double> disagreement_cross(const Group& study, const Group& base, BlobCache& blobs) {
    std::vector<TrainingArtifacts> b;
    for (const auto& run : base.runs)
        b.push_back(decode_training(run, blobs));
    std::vector<double> matrix;
    bool any = false;
    for (const auto& run : study.runs) {
        TrainingArtifacts a = decode_training(run, blobs);
        for (const auto& other : b) {
            bool comparable = !a.logits.values.empty() && a.logits.shape == other.logits.shape &&
                              a.labels.values.size() == other.labels.values.size();
            matrix.push_back(
                comparable ? compare_logits(a.logits, other.logits, a.labels).disagreement : kNaN);
            any = any || comparable;
        }
    }
    return any ? matrix : std::vector<double>{};
}

bool measured(const std::vector<double>& matrix) {
    for (double v : matrix)
        if (!std::isnan(v))
            return true;
    return false;
}

using Scope = std::tuple<std::string, std::string, Machine>;

Scope scope_of(const Group& g) {
    return {g.experiment, g.kind, g.machine};
}

// Why a figure has no interval: its sides' runs against the rule (kMinBootstrapRuns a side, or
// only the studies' runs when the baseline is fixed).
std::string too_few(const CrossMean& m, std::size_t seed, const std::string& fixed_because) {
    std::string text = "n=" + std::to_string(m.n_a);
    if (seed)
        text += ", seed study " + std::to_string(seed);
    std::string needs = std::to_string(kMinBootstrapRuns);
    if (m.b_fixed)
        return text + " against " + std::to_string(m.n_b) + " baseline runs whose " +
               fixed_because + ": too few for a bootstrap interval (needs " + needs +
               (seed ? " runs in each study)" : " study runs)");
    return text + " and " + std::to_string(m.n_b) +
           " baseline runs: too few for a bootstrap interval (needs " + needs +
           " on each side, or " + needs + " study runs against " +
           std::to_string(kMinFixedBaselineRuns) + " or more byte-identical baseline runs)";
}

// `fixed_because`: what makes the baseline's runs interchangeable when the matrix says they are.
Estimate estimate_of(const CrossMean& m, std::size_t seed_runs, const std::string& identical,
                     const std::string& fixed_because) {
    Estimate e;
    e.n = m.n_a;
    if (std::isnan(m.mean))
        return e;
    e.value = m.mean;
    e.ci = m.ci;
    if (m.all_zero)
        e.note = identical;
    else if (!m.ci)
        e.note = too_few(m, seed_runs, fixed_because);
    else if (m.b_fixed)
        e.note = "baseline fixed (its " + std::to_string(m.n_b) + " runs' " + fixed_because +
                 "): bootstrap over the " + (seed_runs ? "studies'" : "study's") + " runs alone";
    return e;
}

// The matrix found every baseline run equally far from each study run; byte-identical outputs
// are the reason to expect it (a deterministic baseline), a coincidence otherwise.
std::string fixed_because(const BaselineCross& cross) {
    return cross.baseline_identical ? "outputs are byte-identical"
                                    : "distances are equal for every study run";
}

// Every baseline run's output present and byte-identical to the first's.
bool all_identical(const Outputs& base) {
    if (base.bits.size() < kMinFixedBaselineRuns || !base.bits.front())
        return false;
    for (const auto& bits : base.bits)
        if (!bits || *bits != *base.bits.front())
            return false;
    return true;
}

// The row's matrix of one figure and its seed study's, as the joint bootstrap reads them.
Estimate versus_seed(const std::vector<double>& study, const BaselineCross& own,
                     const std::vector<double>& seed, const BaselineCross& seeds) {
    if (study.empty() || seed.empty() || own.baseline_runs != seeds.baseline_runs)
        return Estimate{own.study_runs, std::nullopt, std::nullopt, "seed study not measured"};
    CrossMean d =
        cross_mean_difference(study, own.study_runs, seed, seeds.study_runs, own.baseline_runs);
    return estimate_of(d, seeds.study_runs, "both identical to the baseline's outputs",
                       fixed_because(own));
}

} // namespace

void attach_baseline_cross(std::vector<GroupSummary>& summaries, BlobCache& blobs) {
    std::map<Scope, std::size_t> baselines;
    for (std::size_t i = 0; i < summaries.size(); ++i)
        if (summaries[i].group.study == kBaselineStudy && !summaries[i].group.runs.empty())
            baselines.emplace(scope_of(summaries[i].group), i);
    std::map<std::size_t, Outputs> baseline_outputs; // decoded once per baseline
    for (auto& summary : summaries) {
        const Group& g = summary.group;
        auto found = baselines.find(scope_of(g));
        // A grid mixes factors; its distance from the baseline would answer no one question.
        if (g.study == kBaselineStudy || g.study == "grid" || g.runs.empty() ||
            found == baselines.end())
            continue;
        const Group& base = summaries[found->second].group;
        auto cached = baseline_outputs.find(found->second);
        if (cached == baseline_outputs.end())
            cached = baseline_outputs.emplace(found->second, decode_outputs(base, blobs)).first;
        BaselineCross cross;
        cross.study_runs = g.runs.size();
        cross.baseline_runs = base.runs.size();
        cross.baseline_identical = all_identical(cached->second);
        cross.normalised = normalised_cross(decode_outputs(g, blobs), cached->second);
        if (!measured(cross.normalised)) {
            cross.normalised.clear();
            cross.note = "no bit distance from the baseline (an output missing or of "
                         "another size)";
        }
        if (db::run_kind(g.kind) == db::RunKind::train)
            cross.disagreement = disagreement_cross(g, base, blobs);
        summary.from_baseline = std::move(cross);
    }
}

void fill_distance_effects(const std::vector<const GroupSummary*>& sources,
                           std::vector<ComparisonRow>& rows) {
    // The first seed study of each scope with its matrices: what every other study is held to.
    std::map<Scope, std::size_t> seeds;
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i].source == Source::seed && sources[i]->from_baseline)
            seeds.emplace(scope_of(sources[i]->group), i);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!sources[i]->from_baseline)
            continue;
        const BaselineCross& own = *sources[i]->from_baseline;
        ComparisonRow& row = rows[i];
        const std::string identical = "identical to the baseline's outputs";
        row.baseline_identical = own.baseline_identical;
        row.distance_from_baseline =
            estimate_of(cross_mean(own.normalised, own.study_runs, own.baseline_runs), 0, identical,
                        fixed_because(own));
        if (own.normalised.empty())
            row.distance_from_baseline.note = own.note;
        for (double v : own.normalised)
            row.baseline_pairs += !std::isnan(v);
        bool training = row.domain == "training";
        if (training)
            row.disagreement_from_baseline =
                estimate_of(cross_mean(own.disagreement, own.study_runs, own.baseline_runs), 0,
                            identical, fixed_because(own));
        auto seed = seeds.find(scope_of(sources[i]->group));
        std::string why;
        if (seed == seeds.end())
            why = "no seed study";
        else if (seed->second == i)
            why = "the seed study itself";
        if (!why.empty()) {
            row.distance_vs_seed.note = why;
            if (training)
                row.disagreement_vs_seed.note = why;
            continue;
        }
        const BaselineCross& seeds_cross = *sources[seed->second]->from_baseline;
        row.distance_vs_seed =
            versus_seed(own.normalised, own, seeds_cross.normalised, seeds_cross);
        if (training)
            row.disagreement_vs_seed =
                versus_seed(own.disagreement, own, seeds_cross.disagreement, seeds_cross);
    }
}

std::string format_distance_effects(const std::vector<ComparisonRow>& rows) {
    std::ostringstream out;
    for (const auto& r : rows) {
        if (!r.distance_from_baseline.value && !r.disagreement_from_baseline.value)
            continue;
        out << "  " << r.experiment << " / " << r.study << " (" << source_name(r.source, r.factor)
            << ", " << r.machine.label() << "), " << r.baseline_runs
            << (r.baseline_identical ? " byte-identical" : "") << " baseline runs, "
            << r.baseline_pairs << " pairs: bits "
            << signed_estimate(r.distance_from_baseline, "", false)
            << ", vs the seed study: " << signed_estimate(r.distance_vs_seed, "");
        if (r.domain == "training")
            out << "; predictions differ "
                << signed_estimate(r.disagreement_from_baseline, "%", false, 100)
                << ", vs the seed study: "
                << signed_estimate(r.disagreement_vs_seed, " pp", true, 100);
        out << "\n";
    }
    if (out.str().empty())
        return "";
    std::string needs = std::to_string(kMinBootstrapRuns);
    return "Distance from the baseline's outputs (mean over study run x baseline run pairs; bits: "
           "share of the unrelated-output distance; two-sample bootstrap 95%), and the same "
           "minus the seed study's (joint bootstrap, one baseline resample for both). A "
           "deterministic baseline (every run's output byte-identical) is fixed: resampling it "
           "changes nothing, so the bootstrap is over the studies' runs alone and needs " +
           needs + " of them, not " + needs +
           " on each side; its interval is conditional on the "
           "baseline's one output\n" +
           out.str();
}

} // namespace detlab::analysis::detail
