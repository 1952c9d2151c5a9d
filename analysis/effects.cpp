// Each study against the baseline configuration: differences in mean quality with Welch's
// interval, and their ranking.
#include "analysis/internal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <tuple>

namespace detlab::analysis {
namespace {

// A run's final metric scaled to the unit shown; runs without it are left out.
std::vector<double> metric_values(const Group& g, const char* key, double scale) {
    std::vector<double> out;
    for (const auto& run : g.runs) {
        auto it = run.final_metrics.find(key);
        if (it != run.final_metrics.end() && std::isfinite(it->second))
            out.push_back(it->second * scale);
    }
    return out;
}

Estimate difference_estimate(const std::vector<double>& study, const std::vector<double>& base) {
    MeanDifference d = welch_difference(study, base);
    Estimate e;
    e.n = d.n_a;
    if (std::isnan(d.difference)) {
        e.note = d.note;
        return e;
    }
    e.value = d.difference;
    e.ci = d.ci;
    e.note = d.note;
    return e;
}

bool is_grid(const Group& g) {
    return g.study == "grid";
}

std::string number(double v, const char* format = "%.3g") {
    char text[64];
    std::snprintf(text, sizeof text, format, v);
    return text;
}

} // namespace

namespace detail {

std::string signed_estimate(const Estimate& e, const std::string& unit, bool sign, double scale) {
    if (!e.value)
        return e.note.empty() ? "-" : e.note;
    std::string out = sign && *e.value > 0 ? "+" : "";
    out += number(*e.value * scale) + unit;
    if (e.ci)
        out += " [" + number(e.ci->low * scale) + ", " + number(e.ci->high * scale) + "]";
    else if (!e.note.empty())
        out += " (" + e.note + ")";
    return out + " n=" + std::to_string(e.n);
}

void fill_effects(const GroupSummary& summary, const GroupSummary* baseline, ComparisonRow& row) {
    const Group& g = summary.group;
    if (g.study == kBaselineStudy || is_grid(g))
        return;
    if (!baseline || baseline->group.runs.empty()) {
        row.effect.note = "no baseline runs on this machine (baseline_repeats)";
        return;
    }
    row.baseline_runs = baseline->group.runs.size();
    bool training = db::run_kind(g.kind) == db::RunKind::train;
    const char* key = training ? db::metric::kFinalTestAccuracy : db::metric::kFmaxMhz;
    double scale = training ? 100 : 1; // accuracy in percentage points
    row.effect = difference_estimate(metric_values(g, key, scale),
                                     metric_values(baseline->group, key, scale));
    if (training)
        row.loss_effect =
            difference_estimate(metric_values(g, db::metric::kFinalTestLoss, 1),
                                metric_values(baseline->group, db::metric::kFinalTestLoss, 1));
}

void rank_effects(std::vector<ComparisonRow>& rows) {
    std::vector<ComparisonRow*> ranked;
    for (auto& row : rows)
        if (row.effect.value)
            ranked.push_back(&row);
    auto scope = [](const ComparisonRow* r) {
        return std::tie(r->experiment, r->domain, r->machine);
    };
    std::stable_sort(ranked.begin(), ranked.end(), [&](const auto* a, const auto* b) {
        if (scope(a) != scope(b))
            return scope(a) < scope(b);
        return std::fabs(*a->effect.value) > std::fabs(*b->effect.value);
    });
    for (std::size_t i = 0; i < ranked.size(); ++i)
        ranked[i]->effect_rank =
            i > 0 && scope(ranked[i]) == scope(ranked[i - 1]) ? ranked[i - 1]->effect_rank + 1 : 1;
}

} // namespace detail

std::string format_effects(const std::vector<ComparisonRow>& rows) {
    std::vector<const ComparisonRow*> ranked;
    for (const auto& row : rows)
        if (row.effect_rank > 0)
            ranked.push_back(&row);
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto* a, const auto* b) {
        return std::tie(a->experiment, a->domain, a->machine, a->effect_rank) <
               std::tie(b->experiment, b->domain, b->machine, b->effect_rank);
    });
    std::ostringstream out;
    for (const auto* r : ranked) {
        bool training = r->domain == "training";
        out << "  " << r->effect_rank << ". " << r->experiment << " / " << r->study << " ("
            << source_name(r->source, r->factor) << ", " << r->machine.label()
            << "): " << (training ? "accuracy " : "Fmax ")
            << detail::signed_estimate(r->effect, training ? " pp" : " MHz");
        if (r->loss_effect.value)
            out << ", cross-entropy " << detail::signed_estimate(r->loss_effect, "");
        out << " vs baseline n=" << r->baseline_runs << "\n";
    }
    if (auto distances = detail::format_distance_effects(rows); !distances.empty())
        out << (ranked.empty() ? "" : "\n") << distances; // issue 26
    return out.str();
}

} // namespace detlab::analysis
