// Summers and Dinneen's (ICML 2021) metric set of a training study: the std of test accuracy and
// of cross-entropy over runs, and over pairs of runs the prediction disagreement, the logits'
// Pearson r and the two-model ensemble's gain; each with n and an interval whose method covers
// at that n, or a note saying why there is none (docs/analysis.md "Training metric set").
#include "analysis/analysis.h"
#include "analysis/internal.h"

#include <cmath>
#include <cstdio>

namespace detlab::analysis {
namespace {

Estimate scaled(Estimate e, double scale) {
    if (e.value)
        *e.value *= scale;
    if (e.ci)
        e.ci = Interval{e.ci->low * scale, e.ci->high * scale};
    return e;
}

// The mean over pairs of runs: percentile bootstrap over runs from kMinBootstrapRuns up
// (jackknife above kBootstrapMaxRuns), no interval below.
Estimate over_pairs(const std::vector<double>& matrix, std::size_t runs) {
    Estimate e;
    e.n = runs;
    if (matrix.size() != runs * runs || runs < 2) {
        e.note = matrix.empty() ? "not measured (no logits)" : "n=" + std::to_string(runs);
        return e;
    }
    e = detail::from_pairs(matrix, runs);
    if (!e.value || std::isnan(*e.value)) {
        Estimate none;
        none.n = runs;
        none.note = "not measured";
        return none;
    }
    if (!e.ci && e.note != "all identical")
        e.note += " (covers from " + std::to_string(kMinBootstrapRuns) + ")";
    return e;
}

// The std over runs with the chi-square interval (exact for normal values at any n >= 2).
Estimate std_over_runs(const Summary& s, double scale) {
    Estimate e;
    e.n = s.n;
    if (s.n < 2) {
        e.note = s.n == 0 ? "not measured" : "n=1: no spread";
        return e;
    }
    e.value = s.std * scale;
    if (s.min == s.max) {
        e.value = 0;
        e.ci = Interval{0, 0};
        e.note = "all identical";
    } else if (auto ci = std_interval(s.std, s.n)) {
        e.ci = Interval{ci->low * scale, ci->high * scale};
    }
    return e;
}

std::string number(double v, int digits) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, v);
    return buffer;
}

// `digits`: a correlation near 1 needs more than three ("0.99993", not "1").
std::string text(const Estimate& e, const std::string& unit = "", int digits = 3) {
    auto number = [digits](double v) {
        return ::detlab::analysis::number(v, digits);
    };
    if (!e.value)
        return "not measured" + (e.note.empty() ? "" : " (" + e.note + ")") +
               " n=" + std::to_string(e.n);
    std::string out = number(*e.value) + unit;
    if (e.ci)
        out += " [" + number(e.ci->low) + ", " + number(e.ci->high) + "]";
    if (!e.note.empty())
        out += " (" + e.note + ")";
    return out + " n=" + std::to_string(e.n);
}

} // namespace

void attach_training_metrics(const TrainingSummary& t, ComparisonRow& row) {
    row.loss_std = std_over_runs(t.loss, 1);
    row.logit_correlation = over_pairs(t.pearson_matrix, row.runs);
    row.ensemble_gain_pp = scaled(over_pairs(t.ensemble_gain_matrix, row.runs), 100);
}

TrainingMetricSet training_metric_set(const ComparisonRow& row) {
    TrainingMetricSet set;
    set.label = row.experiment + "/" + row.study;
    set.source = source_name(row.source, row.factor);
    set.runs = row.runs;
    set.test_samples = row.test_samples;
    set.accuracy_std_pp = std_over_runs(summarize(row.quality_values), 100);
    set.loss_std = row.loss_std;
    set.disagreement = scaled(row.prediction_disagreement, 100);
    set.logit_correlation = row.logit_correlation;
    set.ensemble_gain_pp = row.ensemble_gain_pp;
    return set;
}

void compare_accuracy_std(TrainingMetricSet& set, const ComparisonRow& row,
                          const ComparisonRow& reference) {
    Summary a = summarize(row.quality_values), b = summarize(reference.quality_values);
    Estimate& e = set.accuracy_std_ratio;
    e.n = std::min(a.n, b.n);
    if (a.n < 2 || b.n < 2 || !(b.std > 0)) {
        e.note = b.n >= 2 && !(b.std > 0) ? "the reference's accuracy never varies" : "n < 2";
        return;
    }
    e.value = a.min == a.max ? 0.0 : a.std / b.std;
    if (auto ci = std_ratio_interval(*e.value == 0 ? 0.0 : a.std, a.n, b.std, b.n))
        e.ci = ci;
    if (*e.value == 0)
        e.note = "all identical";
}

std::string describe(const TrainingMetricSet& set) {
    std::string out =
        set.label + " (" + set.source + "): accuracy std " + text(set.accuracy_std_pp, " pp") +
        "; cross-entropy std " + text(set.loss_std) + "; prediction disagreement " +
        text(set.disagreement, "%") +
        (set.test_samples ? " of " + std::to_string(set.test_samples) + " inputs" : std::string()) +
        "; logit correlation " + text(set.logit_correlation, "", 6) + "; ensemble gain " +
        text(set.ensemble_gain_pp, " pp");
    if (set.accuracy_std_ratio.value || !set.accuracy_std_ratio.note.empty())
        out += "; accuracy std over the reseed's " + text(set.accuracy_std_ratio) + " (F interval)";
    return out;
}

std::string format_training_metrics(const std::vector<ComparisonRow>& rows) {
    std::string out;
    for (const auto& row : rows)
        if (row.domain == "training" && row.runs >= 2 && row.grid_term.empty())
            out += "  " + describe(training_metric_set(row)) + "\n";
    if (out.empty())
        return out;
    return "Training metric set (Summers and Dinneen 2021; 95% intervals: chi-square for the "
           "stds, bootstrap over runs for the pair means)\n" +
           out;
}

} // namespace detlab::analysis
