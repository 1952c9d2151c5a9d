// Partial eta squared of an F test with its confidence interval, by inverting the noncentral F
// distribution in its noncentrality parameter (Steiger 2004; Smithson 2003).
#include "analysis/stats/stats.h"

#include <algorithm>
#include <boost/math/distributions/non_central_f.hpp>
#include <boost/math/tools/roots.hpp>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <exception>

namespace detlab::analysis {
namespace {

namespace policies = boost::math::policies;
// Errors come back as NaN or infinity with errno set instead of exceptions; the callers check
// every value (and catch anything Boost throws past the policy, e.g. an internal rounding_error).
using NoThrow = policies::policy<policies::domain_error<policies::errno_on_error>,
                                 policies::pole_error<policies::errno_on_error>,
                                 policies::overflow_error<policies::errno_on_error>,
                                 policies::evaluation_error<policies::errno_on_error>,
                                 policies::rounding_error<policies::errno_on_error>>;

// The largest noncentrality searched: Boost's series indexes the Poisson mode lambda/2 with an
// int, and at 1e9 the partial eta squared lambda / (lambda + N) is above 0.9999 for any
// N <= 1e5 runs, so a bound beyond it is reported as 1.
constexpr double kMaxLambda = 1e9;
constexpr int kRootIterations = 200;

// P(F <= f; df1, df2, lambda); NaN when Boost cannot evaluate it.
double noncentral_f_cdf(double f, double df1, double df2, double lambda) {
    errno = 0;
    boost::math::non_central_f_distribution<double, NoThrow> distribution(df1, df2, lambda);
    double p = boost::math::cdf(distribution, f);
    return errno == 0 && std::isfinite(p) ? p : std::numeric_limits<double>::quiet_NaN();
}

// The lambda where P(F <= f; lambda) = target, the CDF falling in lambda (its value at lambda 0
// lies above target). nullopt: beyond kMaxLambda; NaN inside: Boost failed (note says so).
std::optional<double> solve_lambda(double f, double df1, double df2, double target,
                                   std::string& note) {
    auto excess = [&](double lambda) {
        return noncentral_f_cdf(f, df1, df2, lambda) - target;
    };
    // Bracket the root: double an upper end from about the expected lambda (df1 * f).
    double low = 0, high = std::clamp(df1 * f, 1.0, kMaxLambda);
    for (double e = excess(high); !(e < 0); e = excess(high)) {
        if (std::isnan(e)) {
            note = "the noncentral F could not be evaluated";
            return std::numeric_limits<double>::quiet_NaN();
        }
        if (high >= kMaxLambda)
            return std::nullopt;
        low = high;
        high = std::min(kMaxLambda, high * 4);
    }
    std::uintmax_t iterations = kRootIterations;
    auto root = boost::math::tools::toms748_solve(
        excess, low, high, boost::math::tools::eps_tolerance<double>(48), iterations, NoThrow());
    double lambda = (root.first + root.second) / 2;
    if (!std::isfinite(lambda) || iterations >= kRootIterations) {
        note = "the noncentrality search did not converge";
        return std::numeric_limits<double>::quiet_NaN();
    }
    return lambda;
}

} // namespace

NoncentralityInterval noncentrality_interval(double f, double df1, double df2, double confidence) {
    NoncentralityInterval out;
    if (!(df1 > 0) || !(df2 > 0) || !(f >= 0) || !std::isfinite(f)) {
        out.note = "no F test";
        return out;
    }
    double alpha = 1 - confidence;
    try {
        double at_zero = noncentral_f_cdf(f, df1, df2, 0);
        if (std::isnan(at_zero)) {
            out.note = "the F distribution could not be evaluated";
            return out;
        }
        Interval lambda{0, 0};
        // Smithson (2003): a bound whose CDF at lambda = 0 is already on its side is 0.
        for (auto [bound, target] :
             {std::pair{&lambda.low, 1 - alpha / 2}, std::pair{&lambda.high, alpha / 2}}) {
            if (at_zero <= target)
                continue;
            auto root = solve_lambda(f, df1, df2, target, out.note);
            if (root && std::isnan(*root))
                return out;
            *bound = root ? *root : std::numeric_limits<double>::infinity();
            out.beyond_search |= !root;
        }
        if (lambda.high == 0)
            out.note = "F in the central F's lower tail (p above 1 - alpha/2): the interval "
                       "collapses to 0";
        out.lambda = lambda;
    } catch (const std::exception& e) {
        out.note = std::string("the noncentral F failed: ") + e.what();
        out.lambda.reset();
    }
    return out;
}

Estimate partial_eta_squared(double ss_term, double df_term, double ss_residual, double df_residual,
                             std::size_t n, double confidence) {
    Estimate out;
    out.n = n;
    if (!(df_term > 0) || !(df_residual > 0)) {
        out.note = "no residual degrees of freedom: no F test";
        return out;
    }
    if (!(ss_residual > 0)) {
        if (ss_term > 0) {
            out.value = 1;
            out.note = "residual sum of squares 0, runs within each cell equal: no interval";
        } else {
            out.note = "term and residual sums of squares both 0: nothing varies";
        }
        return out;
    }
    out.value = ss_term / (ss_term + ss_residual);
    double f = (ss_term / df_term) / (ss_residual / df_residual);
    auto interval = noncentrality_interval(f, df_term, df_residual, confidence);
    out.note = interval.note;
    if (!interval.lambda)
        return out;
    auto eta = [&](double lambda) {
        return std::isinf(lambda) ? 1.0 : lambda / (lambda + double(n));
    };
    out.ci = Interval{eta(interval.lambda->low), eta(interval.lambda->high)};
    if (interval.beyond_search)
        out.note = "F so large that a bound lies beyond the search (partial eta squared above "
                   "0.9999): shown as 1";
    return out;
}

} // namespace detlab::analysis
