// Intervals a reviewer can check by hand: exact binomial bounds for counts, the chi-square
// interval for a standard deviation, and a percentile bootstrap over runs for pairwise means.
// Every random number comes from DeterministicRng (harness/util), so results agree across
// platforms.
#include "analysis/stats/stats.h"

#include "harness/util/util.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace detlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double sample_std(std::span<const double> v, double mean) {
    if (v.size() < 2)
        return 0.0;
    double ss = 0;
    for (double x : v)
        ss += (x - mean) * (x - mean);
    return std::sqrt(ss / double(v.size() - 1));
}

double log_choose(double n, double k) {
    return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

// Bisection for the p in [lo, hi] where f(p) crosses `target`; f must be monotone.
template <typename F>
double bisect(F f, double target, double lo, double hi, bool increasing) {
    for (int i = 0; i < 200 && hi - lo > 1e-15 * std::max(1.0, hi); ++i) {
        double mid = (lo + hi) / 2;
        if ((f(mid) < target) == increasing)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

// Regularised lower incomplete gamma P(a, x): the series below a + 1, else the continued
// fraction of Q (modified Lentz), as in Press et al., Numerical Recipes, section 6.2.
double gamma_p(double a, double x) {
    if (x <= 0)
        return 0;
    double log_prefix = a * std::log(x) - x - std::lgamma(a);
    if (x < a + 1) {
        double term = 1 / a, sum = term;
        for (int n = 1; n < 1000 && std::fabs(term) > 1e-17 * std::fabs(sum); ++n) {
            term *= x / (a + n);
            sum += term;
        }
        return std::min(1.0, sum * std::exp(log_prefix));
    }
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 1000; ++i) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        d = std::fabs(d) < tiny ? tiny : d;
        c = b + an / c;
        c = std::fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        double delta = d * c;
        h *= delta;
        if (std::fabs(delta - 1) < 1e-16)
            break;
    }
    return std::max(0.0, 1 - std::exp(log_prefix) * h);
}

// Mean over pairs (a < b) of distinct runs in `pick`; NaN entries are not measured.
double resampled_pair_mean(const std::vector<double>& matrix, std::size_t n,
                           const std::vector<std::size_t>& pick) {
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t a = 0; a < pick.size(); ++a)
        for (std::size_t b = a + 1; b < pick.size(); ++b) {
            if (pick[a] == pick[b])
                continue;
            double v = matrix[pick[a] * n + pick[b]];
            if (!std::isnan(v)) {
                sum += v;
                ++count;
            }
        }
    return count ? sum / double(count) : kNaN;
}

} // namespace

double percentile(std::vector<double> values, double q) {
    std::sort(values.begin(), values.end());
    double pos = q * double(values.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    std::size_t hi = std::min(lo + 1, values.size() - 1);
    double frac = pos - double(lo);
    return values[lo] * (1 - frac) + values[hi] * frac;
}

double Proportion::value() const {
    return n ? double(k) / double(n) : kNaN;
}

double binomial_cdf(std::size_t k, std::size_t n, double p) {
    if (k >= n || p <= 0)
        return 1;
    if (p >= 1)
        return 0;
    double sum = 0;
    for (std::size_t i = 0; i <= k; ++i)
        sum += std::exp(log_choose(double(n), double(i)) + double(i) * std::log(p) +
                        double(n - i) * std::log1p(-p));
    return std::min(1.0, sum);
}

Proportion binomial_proportion(std::size_t k, std::size_t n, double confidence) {
    Proportion out{k, n, {0, 1}, false};
    if (n == 0 || k > n)
        return out;
    double alpha = 1 - confidence;
    // Clopper-Pearson at the edges too (one confidence level throughout, issue 25): the open
    // tail at alpha / 2, so 0 of n bounds p by (1 - p)^n = alpha / 2.
    if (k == 0) {
        out.ci = {0, 1 - std::pow(alpha / 2, 1 / double(n))};
    } else if (k == n) {
        out.ci = {std::pow(alpha / 2, 1 / double(n)), 1};
    } else { // Clopper and Pearson (1934): the binomial tails at alpha / 2 each
        auto at_least_k = [&](double p) {
            return 1 - binomial_cdf(k - 1, n, p);
        };
        auto at_most_k = [&](double p) {
            return binomial_cdf(k, n, p);
        };
        out.ci.low = bisect(at_least_k, alpha / 2, 0, 1, true);
        out.ci.high = bisect(at_most_k, alpha / 2, 0, 1, false);
    }
    return out;
}

double chi_square_cdf(double x, double dof) {
    return gamma_p(dof / 2, x / 2);
}

double chi_square_quantile(double q, double dof) {
    double hi = dof + 10 * std::sqrt(2 * dof) + 100;
    return bisect([dof](double x) { return chi_square_cdf(x, dof); }, q, 0, hi, true);
}

std::optional<Interval> std_interval(double s, std::size_t n, double confidence) {
    if (n < 2 || std::isnan(s))
        return std::nullopt;
    double alpha = 1 - confidence, dof = double(n - 1);
    return Interval{s * std::sqrt(dof / chi_square_quantile(1 - alpha / 2, dof)),
                    s * std::sqrt(dof / chi_square_quantile(alpha / 2, dof))};
}

PairMean pair_mean(const std::vector<double>& matrix, std::size_t n, int resamples,
                   std::uint64_t seed, double confidence) {
    return pair_mean_with(matrix, n, resamples, seed, confidence, n > kBootstrapMaxRuns);
}

PairMean pair_mean_bootstrap(const std::vector<double>& matrix, std::size_t n, int resamples,
                             std::uint64_t seed, double confidence) {
    return pair_mean_with(matrix, n, resamples, seed, confidence, false);
}

PairMean pair_mean_with(const std::vector<double>& matrix, std::size_t n, int resamples,
                        std::uint64_t seed, double confidence, bool jackknife) {
    PairMean out;
    out.runs = n;
    if (n < 2 || matrix.size() != n * n)
        return out;
    std::vector<std::size_t> all(n);
    for (std::size_t i = 0; i < n; ++i)
        all[i] = i;
    out.mean = resampled_pair_mean(matrix, n, all);
    bool all_zero = true;
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = a + 1; b < n; ++b)
            if (double v = matrix[a * n + b]; !std::isnan(v)) {
                ++out.pairs;
                all_zero = all_zero && v == 0;
            }
    if (out.pairs == 0) {
        out.mean = kNaN;
        return out;
    }
    out.all_zero = all_zero;
    if (all_zero) {
        out.mean = 0; // exactly: no rounding residue from a sum of zeros
        return out;
    }
    if (n < kMinBootstrapRuns)
        return out; // the percentile bootstrap does not cover at this n (issue 25)
    if (jackknife) {
        out.ci = pair_mean_jackknife(matrix, n, confidence);
        return out;
    }
    DeterministicRng rng(seed);
    std::vector<double> means;
    std::vector<std::size_t> pick(n);
    for (int r = 0; r < resamples; ++r) {
        for (auto& p : pick)
            p = rng.below(n);
        if (double m = resampled_pair_mean(matrix, n, pick); !std::isnan(m))
            means.push_back(m);
    }
    if (means.empty())
        return out;
    double tail = (1 - confidence) / 2;
    out.ci = Interval{percentile(means, tail), percentile(means, 1 - tail)};
    return out;
}

BootstrapCI bootstrap_ci(std::span<const double> values, double confidence, int resamples,
                         std::uint64_t seed) {
    BootstrapCI ci;
    if (values.empty() || resamples <= 0)
        return ci;
    DeterministicRng rng(seed);
    std::vector<double> means, stds, sample(values.size());
    for (int r = 0; r < resamples; ++r) {
        double sum = 0;
        for (auto& x : sample)
            sum += x = values[rng.below(values.size())];
        double mean = sum / double(sample.size());
        double ss = 0;
        for (double x : sample)
            ss += (x - mean) * (x - mean);
        means.push_back(mean);
        stds.push_back(sample.size() < 2 ? 0.0 : std::sqrt(ss / double(sample.size() - 1)));
    }
    double tail = (1 - confidence) / 2;
    ci.mean = {percentile(means, tail), percentile(means, 1 - tail)};
    ci.std = {percentile(stds, tail), percentile(stds, 1 - tail)};
    return ci;
}

Summary summarize(std::span<const double> values) {
    std::vector<double> v;
    for (double x : values)
        if (!std::isnan(x))
            v.push_back(x);
    Summary s;
    s.n = v.size();
    if (v.empty())
        return s;
    for (double x : v)
        s.mean += x;
    s.mean /= double(v.size());
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    s.min = *lo;
    s.max = *hi;
    if (s.min == s.max) { // no rounding residue such as 1e-14 for identical values
        s.mean = s.min;
        return s;
    }
    s.std = sample_std(v, s.mean);
    s.cv = s.mean != 0 ? s.std / std::fabs(s.mean) : 0.0;
    return s;
}

const char* finding_name(Finding finding) {
    switch (finding) {
    case Finding::supported:
        return "supported";
    case Finding::contradicted:
        return "contradicted";
    case Finding::undecided:
        break;
    }
    return "cannot decide";
}

} // namespace detlab::analysis
