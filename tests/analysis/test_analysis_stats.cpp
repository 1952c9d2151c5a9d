// The interval methods against answers known from tables and closed forms, including n = 1,
// all-identical groups and zero counts.
#include "analysis/analysis.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace detlab::analysis;

TEST_CASE("zero and full counts give Clopper-Pearson's two-sided bounds like every other count") {
    Proportion none = binomial_proportion(0, 19);
    CHECK_FALSE(none.one_sided);
    CHECK(none.ci.low == 0.0);
    CHECK(none.ci.high == Approx(1 - std::pow(0.025, 1.0 / 19))); // 17.6%
    CHECK(none.ci.high == Approx(0.176466).margin(1e-6));
    // The open tail is alpha / 2, as at the ends of every other interval.
    CHECK(binomial_cdf(0, 19, none.ci.high) == Approx(0.025).margin(1e-9));
    CHECK(binomial_proportion(0, 1).ci.high == Approx(0.975));
    Proportion all = binomial_proportion(9, 9);
    CHECK_FALSE(all.one_sided);
    CHECK(all.ci.low == Approx(std::pow(0.025, 1.0 / 9)));
    CHECK(all.ci.high == 1.0);
    CHECK(all.value() == 1.0);
    Proportion empty = binomial_proportion(0, 0);
    CHECK(std::isnan(empty.value()));
    CHECK(empty.ci.low == 0.0);
    CHECK(empty.ci.high == 1.0);
}

TEST_CASE("Clopper-Pearson intervals match the published values") {
    // Clopper and Pearson's exact interval, e.g. as tabulated by R's binom.test.
    Proportion five = binomial_proportion(5, 20);
    CHECK_FALSE(five.one_sided);
    CHECK(five.ci.low == Approx(0.08657).margin(1e-5));
    CHECK(five.ci.high == Approx(0.49105).margin(1e-5));
    Proportion one = binomial_proportion(1, 10);
    CHECK(one.ci.low == Approx(0.002529).margin(1e-6));
    CHECK(one.ci.high == Approx(0.445016).margin(1e-6));
    // At the interval's ends the binomial tails are alpha / 2 each.
    CHECK(1 - binomial_cdf(4, 20, five.ci.low) == Approx(0.025).margin(1e-9));
    CHECK(binomial_cdf(5, 20, five.ci.high) == Approx(0.025).margin(1e-9));
    CHECK(binomial_cdf(3, 3, 0.4) == 1.0);
    CHECK(binomial_cdf(0, 4, 0.5) == Approx(1.0 / 16));
}

TEST_CASE("chi-square quantiles and the interval of a standard deviation") {
    CHECK(chi_square_quantile(0.95, 1) == Approx(3.841459).margin(1e-5));
    CHECK(chi_square_quantile(0.975, 9) == Approx(19.02277).margin(1e-4));
    CHECK(chi_square_quantile(0.025, 9) == Approx(2.700389).margin(1e-5));
    CHECK(chi_square_quantile(0.5, 2) == Approx(2 * std::log(2.0)).margin(1e-9)); // closed form
    CHECK(chi_square_cdf(3, 2) == Approx(1 - std::exp(-1.5)).margin(1e-12));
    CHECK(chi_square_cdf(40, 4) == Approx(1 - std::exp(-20.0) * 21).margin(1e-12));
    auto ci = std_interval(1.0, 10);
    REQUIRE(ci);
    CHECK(ci->low == Approx(std::sqrt(9 / 19.02277)).margin(1e-5));
    CHECK(ci->high == Approx(std::sqrt(9 / 2.700389)).margin(1e-5));
    CHECK_FALSE(std_interval(1.0, 1)); // n = 1: no spread
    auto zero = std_interval(0.0, 5);
    REQUIRE(zero);
    CHECK(zero->high == 0.0);
}

TEST_CASE("F quantiles and the interval of a ratio of standard deviations") {
    // Published values (NIST/SEMATECH e-Handbook 1.3.6.7.3) and the reciprocal identity.
    CHECK(f_quantile(0.975, 9, 9) == Approx(4.025994).margin(1e-4));
    CHECK(f_quantile(0.95, 5, 10) == Approx(3.325835).margin(1e-4));
    CHECK(f_quantile(0.025, 9, 9) == Approx(1 / 4.025994).margin(1e-5));
    CHECK(std::isnan(f_quantile(1.0, 3, 3)));
    auto ci = std_ratio_interval(2.0, 10, 1.0, 10);
    REQUIRE(ci);
    CHECK(ci->low == Approx(2 / std::sqrt(4.025994)).margin(1e-4));
    CHECK(ci->high == Approx(2 * std::sqrt(4.025994)).margin(1e-3));
    CHECK_FALSE(std_ratio_interval(1.0, 1, 1.0, 10));  // no spread on one side
    CHECK_FALSE(std_ratio_interval(1.0, 10, 0.0, 10)); // the reference never varies
}

TEST_CASE("identical values have a spread of exactly zero") {
    std::vector<double> same{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    Summary s = summarize(same);
    CHECK(s.std == 0.0);
    CHECK(s.cv == 0.0);
    CHECK(s.mean == 0.1);
    Summary one = summarize(std::vector<double>{0.7});
    CHECK(one.n == 1);
    CHECK(one.std == 0.0);
}

TEST_CASE("the random source is the standard engine with an exact index mapping") {
    detlab::DeterministicRng rng(
        5489); // mt19937_64's first output for its default seed: 14514284786278117030
    CHECK(rng.below(10) == 14514284786278117030ull % 10);
    detlab::DeterministicRng a(7), b(7);
    for (int i = 0; i < 1000; ++i) {
        auto x = a.below(13);
        CHECK(x == b.below(13));
        CHECK(x < 13);
    }
    CHECK(a.below(1) == 0);
}

TEST_CASE("pair means bootstrap over runs and say when they cannot") {
    auto matrix = [](std::size_t n, auto value) {
        std::vector<double> m(n * n, 0.0);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j)
                if (i != j)
                    m[i * n + j] = value(std::min(i, j), std::max(i, j));
        return m;
    };
    PairMean zero = pair_mean(matrix(6, [](auto, auto) { return 0.0; }), 6);
    CHECK(zero.all_zero);
    CHECK(zero.mean == 0.0);
    CHECK_FALSE(zero.ci);
    CHECK(zero.pairs == 15);

    PairMean flat = pair_mean(matrix(10, [](auto, auto) { return 0.3; }), 10);
    CHECK(flat.mean == Approx(0.3));
    REQUIRE(flat.ci);
    CHECK(flat.ci->low == Approx(0.3));
    CHECK(flat.ci->high == Approx(0.3));

    PairMean one = pair_mean(matrix(2, [](auto, auto) { return 0.4; }), 2);
    CHECK(one.mean == Approx(0.4));
    CHECK_FALSE(one.ci); // one pair: no spread
    // Below kMinBootstrapRuns the percentile bootstrap does not cover: a value, no interval.
    PairMean few =
        pair_mean(matrix(kMinBootstrapRuns - 1,
                         [](std::size_t i, std::size_t j) { return double(i + j) / 20; }),
                  kMinBootstrapRuns - 1);
    CHECK_FALSE(std::isnan(few.mean));
    CHECK_FALSE(few.ci);
    CHECK(std::isnan(pair_mean({0.0}, 1).mean));

    // One odd run among 10: its 9 pairs are 1, the other 36 are 0. The interval covers the
    // mean and is the same on every platform and every call.
    auto odd = matrix(10, [](std::size_t i, std::size_t) { return i == 0 ? 1.0 : 0.0; });
    PairMean m = pair_mean(odd, 10);
    CHECK(m.mean == Approx(9.0 / 45));
    REQUIRE(m.ci);
    CHECK(m.ci->low < m.mean);
    CHECK(m.ci->high > m.mean);
    CHECK(m.ci->low >= 0.0);
    PairMean again = pair_mean(odd, 10);
    CHECK(again.ci->low == m.ci->low);
    CHECK(again.ci->high == m.ci->high);

    std::vector<double> with_missing = odd;
    with_missing[1 * 10 + 2] = with_missing[2 * 10 + 1] = std::nan("");
    CHECK(pair_mean(with_missing, 10).pairs == 44);
}

// References computed independently of Boost: the noncentral F CDF as a Poisson mixture of
// regularised incomplete beta functions (Johnson, Kotz and Balakrishnan 1995, ch. 30) in mpmath
// at 40 digits, solved for lambda by bisection (80 halvings).
TEST_CASE("partial eta squared intervals match the inverted noncentral F") {
    struct Case {
        double ss_term, df_term, ss_residual, df_residual;
        std::size_t n;
        double lambda_low, lambda_high, eta_low, eta_high;
    };
    const Case cases[] = {
        // F(2, 18) = 5, p = 0.0188
        {10, 2, 18, 18, 24, 0.1996043732, 27.2884235, 0.008248249438, 0.5320581456},
        // F(2, 18) = 1.2, p = 0.324: the CDF at lambda 0 is below 0.975, so the lower bound is 0
        {2.4, 2, 18, 18, 24, 0, 11.1210754, 0, 0.3166496262},
        // F(1, 18) = 150
        {150, 1, 18, 18, 24, 60.65640066, 276.7831285, 0.7165010582, 0.9202082905},
        // F(4, 40) = 3.5, N = 50
        {14, 4, 40, 40, 50, 0.4993938373, 30.53300272, 0.009889105578, 0.379136524},
    };
    for (const auto& c : cases) {
        double f = (c.ss_term / c.df_term) / (c.ss_residual / c.df_residual);
        INFO("F(" << c.df_term << ", " << c.df_residual << ") = " << f);
        auto lambda = noncentrality_interval(f, c.df_term, c.df_residual);
        REQUIRE(lambda.lambda);
        CHECK(lambda.lambda->low == Approx(c.lambda_low).epsilon(1e-6).margin(1e-8));
        CHECK(lambda.lambda->high == Approx(c.lambda_high).epsilon(1e-6));
        auto eta = partial_eta_squared(c.ss_term, c.df_term, c.ss_residual, c.df_residual, c.n);
        CHECK(eta.n == c.n);
        REQUIRE(eta.value);
        CHECK(*eta.value == Approx(c.ss_term / (c.ss_term + c.ss_residual)));
        REQUIRE(eta.ci);
        CHECK(eta.ci->low == Approx(c.eta_low).margin(1e-4));
        CHECK(eta.ci->high == Approx(c.eta_high).margin(1e-4));
    }
}

TEST_CASE("partial eta squared at the edges: F = 0, a perfect fit, huge F, no residual") {
    // F = 0: the CDF is 0 at every lambda, so both bounds are 0, and the note says why.
    auto zero = partial_eta_squared(0, 2, 18, 18, 24);
    REQUIRE(zero.value);
    CHECK(*zero.value == 0.0);
    REQUIRE(zero.ci);
    CHECK(zero.ci->low == 0.0);
    CHECK(zero.ci->high == 0.0);
    CHECK(zero.note.find("collapses to 0") != std::string::npos);
    // Runs equal within every cell: 1 without interval; nothing varies at all: no value.
    auto perfect = partial_eta_squared(5, 1, 0, 18, 24);
    REQUIRE(perfect.value);
    CHECK(*perfect.value == 1.0);
    CHECK_FALSE(perfect.ci);
    CHECK(perfect.note.find("residual sum of squares 0") != std::string::npos);
    auto flat = partial_eta_squared(0, 1, 0, 18, 24);
    CHECK_FALSE(flat.value);
    CHECK_FALSE(flat.note.empty());
    // No residual degrees of freedom (one run per cell): no F test, no value.
    auto single = partial_eta_squared(5, 1, 2, 0, 6);
    CHECK_FALSE(single.value);
    CHECK_FALSE(single.ci);
    // A huge F: finite bounds in [0, 1] (an upper one beyond the search shown as 1), no throw.
    for (double ss_term : {1e6, 1e12, 1e300}) {
        INFO("SS " << ss_term);
        auto huge = partial_eta_squared(ss_term, 1, 1e-6, 18, 24);
        REQUIRE(huge.ci);
        CHECK(std::isfinite(huge.ci->low));
        CHECK(huge.ci->low >= 0.0);
        CHECK(huge.ci->low <= huge.ci->high);
        CHECK(huge.ci->high <= 1.0);
        CHECK(huge.ci->high > 0.9999);
    }
    // F(1, 18) = 1e9: the lower lambda is found (4.6e8, Boost's own value: a regression check),
    // the upper lies beyond the search.
    auto split = noncentrality_interval(1e9, 1, 18);
    REQUIRE(split.lambda);
    CHECK(split.beyond_search);
    CHECK(split.lambda->low == Approx(4.57264e8).epsilon(1e-4));
    CHECK(partial_eta_squared(1e9, 1, 18, 18, 24).ci->high == 1.0);
    // Not an F at all: no interval, a note, no exception.
    for (double f : {-1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
        auto none = noncentrality_interval(f, 2, 18);
        CHECK_FALSE(none.lambda);
        CHECK_FALSE(none.note.empty());
    }
}
