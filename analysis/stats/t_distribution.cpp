// Student's t distribution and Welch's interval for a difference of two means.
#include "analysis/stats/stats.h"

#include <cmath>
#include <limits>
#include <optional>

namespace detlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The continued fraction of the regularised incomplete beta function, evaluated by the modified
// Lentz method; converges quickly for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
    constexpr double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    d = 1 / (std::fabs(d) < tiny ? tiny : d);
    double h = d;
    for (int m = 1; m <= 500; ++m) {
        double m2 = 2.0 * m;
        double even = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + even * d;
        c = 1 + even / c;
        d = 1 / (std::fabs(d) < tiny ? tiny : d);
        c = std::fabs(c) < tiny ? tiny : c;
        h *= d * c;
        double odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + odd * d;
        c = 1 + odd / c;
        d = 1 / (std::fabs(d) < tiny ? tiny : d);
        c = std::fabs(c) < tiny ? tiny : c;
        double step = d * c;
        h *= step;
        if (std::fabs(step - 1) < 1e-15)
            break;
    }
    return h;
}

} // namespace

double incomplete_beta(double a, double b, double x) {
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double log_front =
        std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
    if (x < (a + 1) / (a + b + 2))
        return std::exp(log_front) * beta_fraction(a, b, x) / a;
    return 1 - std::exp(log_front) * beta_fraction(b, a, 1 - x) / b;
}

double student_t_cdf(double t, double dof) {
    if (std::isnan(t) || !(dof > 0))
        return kNaN;
    double tail = 0.5 * incomplete_beta(dof / 2, 0.5, dof / (dof + t * t));
    return t > 0 ? 1 - tail : tail;
}

double student_t_quantile(double q, double dof) {
    if (!(q > 0 && q < 1) || !(dof > 0))
        return kNaN;
    if (q == 0.5)
        return 0;
    double lo = -1, hi = 1;
    while (student_t_cdf(lo, dof) > q)
        lo *= 2;
    while (student_t_cdf(hi, dof) < q)
        hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * std::max(1.0, std::fabs(hi)); ++i) {
        double mid = (lo + hi) / 2;
        (student_t_cdf(mid, dof) < q ? lo : hi) = mid;
    }
    return (lo + hi) / 2;
}

double f_cdf(double f, double dof1, double dof2) {
    if (!(f > 0))
        return 0;
    return incomplete_beta(dof1 / 2, dof2 / 2, dof1 * f / (dof1 * f + dof2));
}

double f_quantile(double q, double dof1, double dof2) {
    if (!(q > 0 && q < 1) || !(dof1 > 0) || !(dof2 > 0))
        return kNaN;
    double low = 0, high = 1;
    while (f_cdf(high, dof1, dof2) < q && high < 1e300)
        high *= 2;
    for (int i = 0; i < 200 && high - low > 1e-12 * high; ++i) {
        double mid = (low + high) / 2;
        (f_cdf(mid, dof1, dof2) < q ? low : high) = mid;
    }
    return (low + high) / 2;
}

std::optional<Interval> std_ratio_interval(double s_a, std::size_t n_a, double s_b, std::size_t n_b,
                                           double confidence) {
    if (n_a < 2 || n_b < 2 || !(s_b > 0) || !(s_a >= 0))
        return std::nullopt;
    double alpha = 1 - confidence, ratio = s_a / s_b;
    double d1 = double(n_a - 1), d2 = double(n_b - 1);
    return Interval{ratio / std::sqrt(f_quantile(1 - alpha / 2, d1, d2)),
                    ratio / std::sqrt(f_quantile(alpha / 2, d1, d2))};
}

MeanDifference welch_difference(std::span<const double> a, std::span<const double> b,
                                double confidence) {
    Summary sa = summarize(a), sb = summarize(b);
    MeanDifference out;
    out.n_a = sa.n;
    out.n_b = sb.n;
    if (sa.n == 0 || sb.n == 0) {
        out.note = "no runs on one side";
        return out;
    }
    out.difference = sa.mean - sb.mean;
    double alpha = 1 - confidence;
    if (sa.n >= 2 && sb.n >= 2) {
        // Welch (1947): each side's own variance; Satterthwaite's degrees of freedom.
        double va = sa.std * sa.std / double(sa.n), vb = sb.std * sb.std / double(sb.n);
        double se = std::sqrt(va + vb);
        if (se == 0) {
            // Every run of each group gave one value: Welch's t is 0/0 and a zero-width interval
            // would claim a certainty n runs cannot give. Exactly equal draws mean a discrete
            // output (a deterministic tool, a quantised metric), where the normal model behind
            // the t interval does not hold; no interval, and the note says why with both n.
            out.note = "no variation in either group (n=" + std::to_string(sa.n) +
                       " and n=" + std::to_string(sb.n) + "): interval not defined";
            return out;
        }
        out.dof =
            (va + vb) * (va + vb) /
            ((va > 0 ? va * va / double(sa.n - 1) : 0) + (vb > 0 ? vb * vb / double(sb.n - 1) : 0));
        double t = student_t_quantile(1 - alpha / 2, out.dof);
        out.ci = Interval{out.difference - t * se, out.difference + t * se};
        return out;
    }
    // One run on one side: its spread is taken to be the other side's (a prediction interval for
    // one new observation, df = n - 1 of the side with repeats).
    const Summary& many = sa.n >= 2 ? sa : sb;
    if (many.n < 2) {
        out.note = "one run on each side: no interval";
        return out;
    }
    double se = many.std * std::sqrt(1 + 1 / double(many.n));
    out.dof = double(many.n - 1);
    out.note = "one run: the other side's spread assumed";
    if (se == 0) {
        // As above: repeats without spread give no spread to assume for the single run.
        out.note = "one run, and no variation in the other group (n=" + std::to_string(many.n) +
                   "): interval not defined";
        return out;
    }
    double t = student_t_quantile(1 - alpha / 2, out.dof);
    out.ci = Interval{out.difference - t * se, out.difference + t * se};
    return out;
}

} // namespace detlab::analysis
