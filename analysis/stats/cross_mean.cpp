// The mean over pairs across two groups of runs (each study run against each baseline run) and
// the difference of two such means sharing one group, with the two-sample bootstrap over runs
// held as multiplicities, or the one-sample bootstrap when the shared group is fixed (issue 26).
#include "analysis/stats/stats.h"
#include "harness/util/util.h"

#include <algorithm>
#include <cmath>

namespace detlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A bootstrap resample of n runs as how often each run is drawn.
void draw_multiplicities(DeterministicRng& rng, std::vector<double>& counts) {
    std::fill(counts.begin(), counts.end(), 0.0);
    for (std::size_t k = 0; k < counts.size(); ++k)
        counts[rng.below(counts.size())] += 1;
}

// sum over measured pairs of w_a w_b m_ab, over the sum of w_a w_b: the resample's mean.
double weighted_mean(std::span<const double> matrix, const std::vector<double>& w_a,
                     const std::vector<double>& w_b) {
    std::size_t n_b = w_b.size();
    double sum = 0, weight = 0;
    for (std::size_t a = 0; a < w_a.size(); ++a) {
        if (w_a[a] == 0)
            continue;
        const double* row = matrix.data() + a * n_b;
        double row_sum = 0, row_weight = 0;
        for (std::size_t b = 0; b < n_b; ++b)
            if (!std::isnan(row[b]) && w_b[b] != 0) {
                row_sum += w_b[b] * row[b];
                row_weight += w_b[b];
            }
        sum += w_a[a] * row_sum;
        weight += w_a[a] * row_weight;
    }
    return weight > 0 ? sum / weight : kNaN;
}

// Row and column means over measured entries (NaN where a row or column has none).
struct Margins {
    std::vector<double> rows, columns;
};
Margins margins(std::span<const double> matrix, std::size_t n_a, std::size_t n_b) {
    Margins m{std::vector<double>(n_a, 0.0), std::vector<double>(n_b, 0.0)};
    std::vector<std::size_t> row_count(n_a, 0), column_count(n_b, 0);
    for (std::size_t a = 0; a < n_a; ++a)
        for (std::size_t b = 0; b < n_b; ++b)
            if (double v = matrix[a * n_b + b]; !std::isnan(v)) {
                m.rows[a] += v;
                m.columns[b] += v;
                ++row_count[a];
                ++column_count[b];
            }
    for (std::size_t a = 0; a < n_a; ++a)
        m.rows[a] = row_count[a] ? m.rows[a] / double(row_count[a]) : kNaN;
    for (std::size_t b = 0; b < n_b; ++b)
        m.columns[b] = column_count[b] ? m.columns[b] / double(column_count[b]) : kNaN;
    return m;
}

// The sample variance of the mean of these values (NaNs skipped): s^2 / n.
double variance_of_mean(const std::vector<double>& values) {
    Summary s = summarize(values);
    return s.n > 1 ? s.std * s.std / double(s.n) : 0.0;
}

Interval normal_interval(double mean, double variance, std::size_t smallest, double confidence) {
    // Student's t with the smaller side's dof: a little wider than the normal's at small n.
    double t = student_t_quantile(1 - (1 - confidence) / 2, double(smallest - 1));
    double half = t * std::sqrt(variance);
    return {mean - half, mean + half};
}

// What both figures share before any interval: the mean, the pairs measured, all zero.
CrossMean plain_mean(std::span<const double> matrix, std::size_t n_a, std::size_t n_b) {
    CrossMean out;
    out.n_a = n_a;
    out.n_b = n_b;
    if (n_a == 0 || n_b == 0 || matrix.size() != n_a * n_b)
        return out;
    double sum = 0;
    bool all_zero = true;
    for (double v : matrix)
        if (!std::isnan(v)) {
            sum += v;
            ++out.pairs;
            all_zero = all_zero && v == 0;
        }
    if (out.pairs == 0)
        return out;
    out.all_zero = all_zero;
    out.mean = all_zero ? 0.0 : sum / double(out.pairs);
    return out;
}

Interval percentile_interval(std::vector<double> draws, double confidence) {
    double tail = (1 - confidence) / 2;
    return {percentile(draws, tail), percentile(draws, 1 - tail)};
}

bool same(double x, double y) {
    return x == y || (std::isnan(x) && std::isnan(y));
}

// The values of a matrix whose columns are all equal, one per measured row (the b side fixed);
// nullopt when b has too few runs to call it fixed or any column differs from the first. Values
// computed from byte-identical outputs are bit-identical doubles, so equality is exact.
std::optional<std::vector<double>> fixed_b_rows(std::span<const double> matrix, std::size_t n_a,
                                                std::size_t n_b) {
    if (n_b < kMinFixedBaselineRuns || matrix.size() != n_a * n_b)
        return std::nullopt;
    std::vector<double> rows;
    for (std::size_t a = 0; a < n_a; ++a) {
        const double* row = matrix.data() + a * n_b;
        for (std::size_t b = 1; b < n_b; ++b)
            if (!same(row[b], row[0]))
                return std::nullopt;
        if (!std::isnan(row[0]))
            rows.push_back(row[0]);
    }
    return rows;
}

double resampled_mean(DeterministicRng& rng, const std::vector<double>& values) {
    double sum = 0;
    for (std::size_t k = 0; k < values.size(); ++k)
        sum += values[rng.below(values.size())];
    return sum / double(values.size());
}

// The percentile bootstrap of mean(first) - mean(second) over independent runs; second empty:
// of mean(first) alone.
Interval one_sample_interval(const std::vector<double>& first, const std::vector<double>& second,
                             int resamples, std::uint64_t seed, double confidence) {
    DeterministicRng rng(seed);
    std::vector<double> draws;
    draws.reserve(static_cast<std::size_t>(resamples));
    for (int r = 0; r < resamples; ++r)
        draws.push_back(resampled_mean(rng, first) -
                        (second.empty() ? 0.0 : resampled_mean(rng, second)));
    return percentile_interval(std::move(draws), confidence);
}

} // namespace

CrossMean cross_mean(std::span<const double> matrix, std::size_t n_a, std::size_t n_b,
                     int resamples, std::uint64_t seed, double confidence) {
    CrossMean out = plain_mean(matrix, n_a, n_b);
    if (out.pairs == 0 || out.all_zero)
        return out;
    if (auto rows = fixed_b_rows(matrix, n_a, n_b)) {
        out.b_fixed = true;
        if (rows->size() >= kMinBootstrapRuns) {
            out.ci = one_sample_interval(*rows, {}, resamples, seed, confidence);
            out.method = "one-sample bootstrap";
        }
        return out;
    }
    if (n_a < kMinBootstrapRuns || n_b < kMinBootstrapRuns)
        return out;
    if (n_a * n_b > kCrossBootstrapMaxPairs) {
        Margins m = margins(matrix, n_a, n_b);
        out.ci = normal_interval(out.mean, variance_of_mean(m.rows) + variance_of_mean(m.columns),
                                 std::min(n_a, n_b), confidence);
        out.method = "U-statistic";
        return out;
    }
    DeterministicRng rng(seed);
    std::vector<double> w_a(n_a), w_b(n_b), draws;
    for (int r = 0; r < resamples; ++r) {
        draw_multiplicities(rng, w_a);
        draw_multiplicities(rng, w_b);
        if (double m = weighted_mean(matrix, w_a, w_b); !std::isnan(m))
            draws.push_back(m);
    }
    if (draws.empty())
        return out;
    out.ci = percentile_interval(std::move(draws), confidence);
    out.method = "bootstrap";
    return out;
}

CrossMean cross_mean_difference(std::span<const double> first, std::size_t n_first,
                                std::span<const double> second, std::size_t n_second,
                                std::size_t n_b, int resamples, std::uint64_t seed,
                                double confidence) {
    CrossMean a = plain_mean(first, n_first, n_b), b = plain_mean(second, n_second, n_b);
    CrossMean out = a;
    out.all_zero = a.all_zero && b.all_zero;
    out.mean = a.mean - b.mean; // NaN when either is not measured
    if (std::isnan(out.mean) || out.all_zero)
        return out;
    auto rows_first = fixed_b_rows(first, n_first, n_b);
    auto rows_second = fixed_b_rows(second, n_second, n_b);
    if (rows_first && rows_second) {
        out.b_fixed = true;
        if (rows_first->size() >= kMinBootstrapRuns && rows_second->size() >= kMinBootstrapRuns) {
            out.ci = one_sample_interval(*rows_first, *rows_second, resamples, seed, confidence);
            out.method = "one-sample bootstrap";
        }
        return out;
    }
    if (n_first < kMinBootstrapRuns || n_second < kMinBootstrapRuns || n_b < kMinBootstrapRuns)
        return out;
    if (std::max(n_first, n_second) * n_b > kCrossBootstrapMaxPairs) {
        Margins ma = margins(first, n_first, n_b), mb = margins(second, n_second, n_b);
        std::vector<double> shared(n_b);
        for (std::size_t j = 0; j < n_b; ++j)
            shared[j] = ma.columns[j] - mb.columns[j];
        double variance =
            variance_of_mean(ma.rows) + variance_of_mean(mb.rows) + variance_of_mean(shared);
        out.ci =
            normal_interval(out.mean, variance, std::min({n_first, n_second, n_b}), confidence);
        out.method = "U-statistic";
        return out;
    }
    DeterministicRng rng(seed);
    std::vector<double> w_first(n_first), w_second(n_second), w_b(n_b), draws;
    for (int r = 0; r < resamples; ++r) {
        draw_multiplicities(rng, w_first);
        draw_multiplicities(rng, w_second);
        draw_multiplicities(rng, w_b); // one baseline resample for both studies
        double d = weighted_mean(first, w_first, w_b) - weighted_mean(second, w_second, w_b);
        if (!std::isnan(d))
            draws.push_back(d);
    }
    if (draws.empty())
        return out;
    out.ci = percentile_interval(std::move(draws), confidence);
    out.method = "bootstrap";
    return out;
}

} // namespace detlab::analysis
