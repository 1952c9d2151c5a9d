// A grid analysed as one factorial experiment: sums of squares over cell means, variance shares
// (eta squared), F tests against the residual with each term's partial eta squared and its
// noncentral-F interval, and main effects with Welch's interval.
#include "analysis/analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace detlab::analysis {
namespace {

// The residual sum of squares (total minus the terms') that rounding alone leaves: each squared
// deviation d^2 carries an error of about 2 |d| eps |v| when values v sit far from 0, so the
// share of the total is about eps max|v| / rms(d), with a margin of 2^10 for the sums.
double rounding_residual(const std::vector<double>& values, double total_sum_squares) {
    double largest = 0;
    for (double v : values)
        largest = std::max(largest, std::fabs(v));
    double rms = std::sqrt(total_sum_squares / double(values.size()));
    if (!(rms > 0))
        return 0;
    return total_sum_squares * 1024 * std::numeric_limits<double>::epsilon() * largest / rms;
}

// One run's position in the grid: the level of each factor, in the order of `factors`.
struct Cell {
    std::vector<std::string> levels;
    double value = 0;
};

std::string level_text(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

std::vector<std::string> split_factors(const std::string& joined) {
    std::vector<std::string> out;
    for (std::size_t start = 0; start <= joined.size();) {
        auto comma = joined.find(',', start);
        out.push_back(joined.substr(start, comma == std::string::npos ? comma : comma - start));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return out;
}

double mean_of(const std::vector<double>& values) {
    double sum = 0;
    for (double v : values)
        sum += v;
    return values.empty() ? 0 : sum / double(values.size());
}

// Sum of squares between the groups that `key` makes: sum over groups of n (mean - grand)^2.
template <typename Key>
double between_groups(const std::vector<Cell>& cells, double grand, Key key,
                      std::size_t* groups = nullptr) {
    std::map<std::vector<std::string>, std::vector<double>> by;
    for (const auto& c : cells)
        by[key(c)].push_back(c.value);
    double ss = 0;
    for (const auto& [k, values] : by)
        ss += double(values.size()) * std::pow(mean_of(values) - grand, 2);
    if (groups)
        *groups = by.size();
    return ss;
}

// Levels in the grid's own order (the order of first appearance in sorted runs).
std::vector<std::string> levels_of(const std::vector<Cell>& cells, std::size_t f) {
    std::vector<std::string> out;
    for (const auto& c : cells)
        if (std::find(out.begin(), out.end(), c.levels[f]) == out.end())
            out.push_back(c.levels[f]);
    return out;
}

FactorialAnalysis analyse_grid(const Group& g) {
    FactorialAnalysis a;
    bool training = db::run_kind(g.kind) == db::RunKind::train;
    a.domain = training ? "training" : g.kind;
    a.experiment = g.experiment;
    a.machine = g.machine;
    a.metric = training ? "test_accuracy" : "fmax_mhz";
    a.unit = training ? "pp" : "MHz";
    const char* key = training ? db::metric::kFinalTestAccuracy : db::metric::kFmaxMhz;
    auto factors = split_factors(g.factor);
    std::vector<Cell> cells;
    std::size_t missing = 0;
    for (const auto& run : g.runs) {
        auto metric = run.final_metrics.find(key);
        auto point = nlohmann::json::parse(run.param(db::param::kFactorValue), nullptr, false);
        if (metric == run.final_metrics.end() || !std::isfinite(metric->second) ||
            !point.is_object()) {
            ++missing;
            continue;
        }
        Cell cell;
        for (const auto& f : factors)
            cell.levels.push_back(point.contains(f) ? level_text(point[f]) : "");
        cell.value = metric->second * (training ? 100 : 1);
        cells.push_back(std::move(cell));
    }
    if (missing)
        a.notes.push_back(std::to_string(missing) + " runs without " + a.metric +
                          " or a grid point left out");
    a.runs = cells.size();
    if (cells.size() < 2)
        return a;
    std::vector<double> all;
    for (const auto& c : cells)
        all.push_back(c.value);
    double grand = mean_of(all);
    for (double v : all)
        a.total_sum_squares += (v - grand) * (v - grand);
    std::map<std::vector<std::string>, std::size_t> per_cell;
    for (const auto& c : cells)
        ++per_cell[c.levels];
    a.cells = per_cell.size();
    a.balanced = std::all_of(per_cell.begin(), per_cell.end(), [&](const auto& entry) {
        return entry.second == per_cell.begin()->second;
    });
    if (!a.balanced)
        a.notes.push_back("unequal runs per cell: the sums of squares are not orthogonal, so the "
                          "shares are approximate");
    double explained = 0, explained_dof = 0;
    std::vector<std::size_t> level_count(factors.size());
    for (std::size_t f = 0; f < factors.size(); ++f) {
        FactorTerm term;
        term.term = factors[f];
        term.factors = {factors[f]};
        term.sum_squares = between_groups(
            cells, grand, [&](const Cell& c) { return std::vector<std::string>{c.levels[f]}; },
            &level_count[f]);
        term.dof = double(level_count[f]) - 1;
        auto levels = levels_of(cells, f);
        term.reference_level = levels.front();
        std::vector<double> reference;
        for (const auto& c : cells)
            if (c.levels[f] == levels.front())
                reference.push_back(c.value);
        for (std::size_t l = 1; l < levels.size(); ++l) {
            std::vector<double> at_level;
            for (const auto& c : cells)
                if (c.levels[f] == levels[l])
                    at_level.push_back(c.value);
            term.level_effects.emplace_back(levels[l], welch_difference(at_level, reference));
        }
        explained += term.sum_squares;
        explained_dof += term.dof;
        a.terms.push_back(std::move(term));
    }
    std::size_t mains = a.terms.size();
    for (std::size_t f1 = 0; f1 < mains; ++f1)
        for (std::size_t f2 = f1 + 1; f2 < mains; ++f2) {
            FactorTerm term;
            term.term = factors[f1] + " x " + factors[f2];
            term.factors = {factors[f1], factors[f2]};
            std::size_t pairs = 0;
            double both = between_groups(
                cells, grand,
                [&](const Cell& c) {
                    return std::vector<std::string>{c.levels[f1], c.levels[f2]};
                },
                &pairs);
            term.sum_squares =
                std::max(0.0, both - a.terms[f1].sum_squares - a.terms[f2].sum_squares);
            term.dof = double(pairs) - 1 - a.terms[f1].dof - a.terms[f2].dof;
            explained += term.sum_squares;
            explained_dof += term.dof;
            a.terms.push_back(std::move(term));
        }
    a.residual.term = "residual";
    a.residual.sum_squares = std::max(0.0, a.total_sum_squares - explained);
    // Runs equal within every cell leave rounding (total and explained are summed differently),
    // which would give an F of 1e15: it is no residual.
    if (a.residual.sum_squares <= rounding_residual(all, a.total_sum_squares))
        a.residual.sum_squares = 0;
    a.residual.dof = double(cells.size()) - 1 - explained_dof;
    for (auto* term : std::vector<FactorTerm*>{&a.residual})
        term->share = a.total_sum_squares > 0 ? term->sum_squares / a.total_sum_squares : 0;
    for (auto& term : a.terms) {
        term.share = a.total_sum_squares > 0 ? term.sum_squares / a.total_sum_squares : 0;
        if (a.residual.dof > 0 && term.dof > 0 && a.residual.sum_squares > 0) {
            double f = (term.sum_squares / term.dof) / (a.residual.sum_squares / a.residual.dof);
            term.f = f;
            term.p = 1 - f_cdf(f, term.dof, a.residual.dof);
        }
        if (a.residual.dof > 0 && term.dof > 0)
            term.partial_eta_sq = partial_eta_squared(
                term.sum_squares, term.dof, a.residual.sum_squares, a.residual.dof, a.runs);
    }
    if (a.residual.dof <= 0)
        a.notes.push_back("one run per cell: no residual, so no F test (the interaction of the "
                          "last two factors is the error term)");
    return a;
}

} // namespace

std::vector<FactorialAnalysis> factorial_analyses(const std::vector<GroupSummary>& summaries) {
    std::vector<FactorialAnalysis> out;
    for (const auto& s : summaries) {
        const Group& g = s.group;
        if (g.study != "grid" || g.factor == "repeat" || g.factor.find(',') == std::string::npos)
            continue;
        auto analysis = analyse_grid(g);
        if (analysis.runs >= 2)
            out.push_back(std::move(analysis));
    }
    return out;
}

} // namespace detlab::analysis
