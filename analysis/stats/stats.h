// Statistics the analysis uses, pure functions of numbers: summaries, binomial and chi-square
// intervals, the bootstrap and jackknife over runs, Student's t, F and Welch's difference of
// means; a figure with n and its interval (Estimate); the vocabulary and margins of the verdict's
// pre-declared tests. No store, no process: tested on hand-made values (tests/analysis). Methods
// and their references: docs/analysis.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace detlab::analysis {

// Every interval is a 95% one unless a caller asks otherwise; methods and references are in
// docs/analysis.md. Runs are the independent units throughout: pairs of runs share runs.
inline constexpr double kConfidence = 0.95;

struct Summary {
    std::size_t n = 0;
    double mean = 0, std = 0, cv = 0, min = 0, max = 0; // std: sample (n-1); cv = std / |mean|
};
// NaNs skipped; n = 0 when none remain. Equal values give std and cv of exactly 0.
Summary summarize(std::span<const double> values);

struct Interval {
    double low = 0, high = 0;
};

// k events in n independent trials. The interval is Clopper-Pearson's exact two-sided one, also
// at the edges: k = 0 gives [0, 1 - (alpha/2)^(1/n)] ("at most"), k = n gives
// [(alpha/2)^(1/n), 1] ("at least"). n = 0: [0, 1]. `one_sided` stays false (kept for readers
// of the JSON table).
struct Proportion {
    std::size_t k = 0, n = 0;
    Interval ci{0, 1};
    bool one_sided = false;
    double value() const; // k / n, NaN for n = 0
};
Proportion binomial_proportion(std::size_t k, std::size_t n, double confidence = kConfidence);
double binomial_cdf(std::size_t k, std::size_t n, double p); // P(X <= k), X ~ Bin(n, p)
double chi_square_cdf(double x, double dof);
double chi_square_quantile(double q, double dof);
// The chi-square interval of a normal population's standard deviation from n values with
// sample std s: [s sqrt((n-1)/chi2(1-a/2)), s sqrt((n-1)/chi2(a/2))]; nullopt for n < 2.
std::optional<Interval> std_interval(double s, std::size_t n, double confidence = kConfidence);

// The mean over pairs of distinct runs of a symmetric runs x runs matrix (NaN: not measured),
// with a percentile bootstrap over runs: each resample draws runs with replacement and averages
// the pairs of different draws. No interval below kMinBootstrapRuns runs (it would not cover)
// or when every pair is 0 (then the mean is exactly 0).
inline constexpr int kBootstrapResamples = 2000;
// No bootstrap interval below this many runs: an independent audit found detlab's percentile
// intervals cover from about 10 runs up and only 55-72% of the time at n = 3 (issue 25).
inline constexpr std::size_t kMinBootstrapRuns = 10;
inline constexpr std::uint64_t kBootstrapSeed = 20240607;
struct PairMean {
    std::size_t runs = 0, pairs = 0;
    double mean = std::numeric_limits<double>::quiet_NaN();
    std::optional<Interval> ci;
    bool all_zero = false;
};
PairMean pair_mean(const std::vector<double>& matrix, std::size_t runs,
                   int resamples = kBootstrapResamples, std::uint64_t seed = kBootstrapSeed,
                   double confidence = kConfidence);
// Above this many runs pair_mean's interval is pair_mean_jackknife's: the bootstrap walks every
// pair once per resample (resamples x n^2 / 2 reads), the jackknife walks them once.
inline constexpr std::size_t kBootstrapMaxRuns = 300;
// pair_mean with the bootstrap at any n (the benchmark's old method), and with the method chosen.
PairMean pair_mean_bootstrap(const std::vector<double>& matrix, std::size_t runs,
                             int resamples = kBootstrapResamples,
                             std::uint64_t seed = kBootstrapSeed, double confidence = kConfidence);
PairMean pair_mean_with(const std::vector<double>& matrix, std::size_t runs, int resamples,
                        std::uint64_t seed, double confidence, bool jackknife);
// The jackknife interval of the mean over pairs (a U-statistic of degree two; Arvesen 1969,
// Ann. Math. Stat. 40:2076): leave-one-run-out means from row sums after one walk of the matrix,
// mean +- t(n-1) * jackknife standard error. Extra memory 16 n bytes beside the n x n matrix.
std::optional<Interval> pair_mean_jackknife(const std::vector<double>& matrix, std::size_t runs,
                                            double confidence = kConfidence);

// The q-quantile of values by linear interpolation between order statistics (the percentile
// bootstrap's bounds); values must not be empty.
double percentile(std::vector<double> values, double q);

// ---- the mean over pairs across two groups of runs (issue 26)
// The mean over every (a, b) pair of an n_a x n_b row-major matrix (NaN: not measured), e.g. the
// distance of each study run's output from each baseline run's, with a two-sample percentile
// bootstrap (Efron and Tibshirani 1993, An Introduction to the Bootstrap, ch. 8): each resample
// draws a's runs and b's runs independently with replacement, held as per-run multiplicities,
// and weights each pair by the product of its runs' multiplicities, so no pair is re-walked per
// draw: O(resamples x n_a x n_b) reads of the matrix, no memory beside it but n_a + n_b counts.
// Above kCrossBootstrapMaxPairs pairs the interval is the two-sample U-statistic's normal one
// from its structural components (DeLong, DeLong and Clarke-Pearson 1988, Biometrics 44:837):
// the variance s^2(row means) / n_a + s^2(column means) / n_b, one walk of the matrix.
// No interval below kMinBootstrapRuns runs on either side, nor when every pair is 0.
// A fixed b side: when b has at least kMinFixedBaselineRuns runs and every column of the matrix
// is the same (NaNs in the same places), as byte-identical baseline outputs give, every b run
// stands in the same relation to each a run, so a resample of b's runs changes no resample's
// mean: the two-sample bootstrap is then exactly the one-sample percentile bootstrap of a's row
// values (Efron and Tibshirani 1993, ch. 13), which needs kMinBootstrapRuns measured a runs
// only. The interval is conditional on the b output observed (b_fixed says so).
inline constexpr std::size_t kCrossBootstrapMaxPairs = kBootstrapMaxRuns * kBootstrapMaxRuns;
// One baseline run shows nothing about whether the baseline repeats; two identical ones do.
inline constexpr std::size_t kMinFixedBaselineRuns = 2;
struct CrossMean {
    std::size_t n_a = 0, n_b = 0, pairs = 0; // pairs measured
    double mean = std::numeric_limits<double>::quiet_NaN();
    std::optional<Interval> ci;
    bool all_zero = false;
    bool b_fixed = false; // every column identical: b's runs resample to the same figure
    std::string method;   // "bootstrap", "U-statistic" or "one-sample bootstrap"; empty: none
};
CrossMean cross_mean(std::span<const double> matrix, std::size_t n_a, std::size_t n_b,
                     int resamples = kBootstrapResamples, std::uint64_t seed = kBootstrapSeed,
                     double confidence = kConfidence);
// cross_mean(first) - cross_mean(second) where both matrices' columns are the same n_b runs of b
// (two studies against one baseline): a joint bootstrap that draws both studies' runs and ONE
// resample of b's runs shared by both means, so b's own variation cancels where it is common.
// CrossMean::n_a is n_first, pairs the first matrix's; no interval below kMinBootstrapRuns on any
// of the three sides, unless b is fixed in both matrices (above): then the difference of two
// independent one-sample means, bootstrapped over both studies' runs, each needing
// kMinBootstrapRuns measured runs. Above kCrossBootstrapMaxPairs (either matrix) the U-statistic's
// variance s^2(r1) / n1 + s^2(r2) / n2 + s^2(c1 - c2) / n_b over row means r and column means c.
CrossMean cross_mean_difference(std::span<const double> first, std::size_t n_first,
                                std::span<const double> second, std::size_t n_second,
                                std::size_t n_b, int resamples = kBootstrapResamples,
                                std::uint64_t seed = kBootstrapSeed,
                                double confidence = kConfidence);

// Percentile bootstrap intervals of the mean and the sample standard deviation of values.
struct BootstrapCI {
    Interval mean, std;
};
BootstrapCI bootstrap_ci(std::span<const double> values, double confidence = kConfidence,
                         int resamples = kBootstrapResamples, std::uint64_t seed = kBootstrapSeed);

// ---- Student's t and the F distribution
// Student's t distribution, the regularised incomplete beta function behind it and the F
// distribution's CDF (the factorial analysis's test).
double incomplete_beta(double a, double b, double x);
double student_t_cdf(double t, double dof);
double student_t_quantile(double q, double dof);
double f_cdf(double f, double dof1, double dof2);
// The q-quantile of the F distribution (bisection on f_cdf); NaN for q outside (0, 1).
double f_quantile(double q, double dof1, double dof2);
// The ratio s_a / s_b of two normal populations' standard deviations from n_a and n_b values,
// with its exact interval from the F distribution of (s_a/sigma_a)^2 / (s_b/sigma_b)^2:
// [r / sqrt(F(1-a/2; n_a-1, n_b-1)), r / sqrt(F(a/2; n_a-1, n_b-1))] (e.g. Casella and Berger,
// Statistical Inference, 2002, ex. 9.17); nullopt for n < 2 on a side or s_b = 0.
std::optional<Interval> std_ratio_interval(double s_a, std::size_t n_a, double s_b, std::size_t n_b,
                                           double confidence = kConfidence);

// mean(a) - mean(b) with Welch's (1947) interval for small unequal groups with unequal
// variances. One value on one side: the other side's spread is assumed for it (a prediction
// interval, df = n - 1). No interval with one value on each side, nor when neither side varies
// (every run of both groups equal: Welch's t is 0/0; the note says so with the n of each side).
struct MeanDifference {
    std::size_t n_a = 0, n_b = 0;
    double difference = std::numeric_limits<double>::quiet_NaN();
    double dof = 0;
    std::optional<Interval> ci;
    std::string note;
};
MeanDifference welch_difference(std::span<const double> a, std::span<const double> b,
                                double confidence = kConfidence);

// ---- figures with what backs them
// One figure of the table with what backs it.
struct Estimate {
    std::size_t n = 0;           // runs behind the figure (the independent units)
    std::optional<double> value; // nullopt: not measured
    std::optional<Interval> ci;  // 95%; nullopt when the data gives none, `note` says why
    std::string note;            // e.g. "n=1: no spread", "all identical"
};

// ---- noncentral F: effect sizes of an F test
// The interval of the noncentrality parameter lambda behind an observed F (df1, df2): the
// lambdas where P(F <= f; df1, df2, lambda) = 1 - alpha/2 (low) and alpha/2 (high), by
// Boost.Math's noncentral F and TOMS 748 root finding over a bounded bracket; a bound whose CDF
// at lambda = 0 is already on its side is 0 (Steiger 2004, Psychological Methods 9(2);
// Smithson 2003). nullopt with a note when no F test exists or Boost fails (never throws).
struct NoncentralityInterval {
    std::optional<Interval> lambda;
    bool beyond_search = false; // a bound lies above the largest lambda searched: infinity
    std::string note;
};
NoncentralityInterval noncentrality_interval(double f, double df1, double df2,
                                             double confidence = kConfidence);
// A term's partial eta squared SS_term / (SS_term + SS_residual) over n runs, with the interval
// lambda / (lambda + n) of noncentrality_interval at F = (SS_term/df_term) / (SS_res/df_res).
// No value without residual dof; a residual SS of 0 gives 1 (or nothing, if the term's is 0 too)
// without interval; the note says which.
Estimate partial_eta_squared(double ss_term, double df_term, double ss_residual, double df_residual,
                             std::size_t n, double confidence = kConfidence);

// ---- pre-declared tests (the verdict, analysis.h)
// The claims of the discussion the project answers, each a pre-declared test: a figure, a
// practical margin justified from outside the data (the k*Margin constants below, their sources
// in docs/analysis.md), a named test at one confidence level (kConfidence: every decision reads
// the two-sided 95% interval, so each one-sided test runs at 2.5% and TOST at 2.5% a side), the
// n that would decide and the decision's stability under bootstrap resamples of the runs. Every
// comparison row that matches a claim's part is one evidence set; all are listed.
enum class Finding { supported, contradicted, undecided };
const char* finding_name(Finding finding); // "supported", "contradicted", "cannot decide"

// How a figure is held against its margin: at most (equivalence to "none" by a one-sided
// test), at least (difference by a one-sided test) or within [low, high] (two one-sided tests).
enum class Direction { at_most, at_least, within };
struct Margin {
    Direction direction = Direction::at_most;
    double low = 0, high = 0; // at_most: high; at_least: low; within: both
    std::string text;         // "<= 20% of repeats differ"
    std::string source;       // why this margin, from outside the data
};

// One evidence set: one comparison row (or a pair of rows, for a ratio) held against one part
// of a claim.
struct Evidence {
    std::string part;                                       // the claim's part it tests
    std::string label;                                      // "training quick/repeat-baseline"
    std::vector<std::pair<std::string, std::string>> scope; // design, device, model, data, ...
    std::string figure;                                     // what the value is
    std::string test;                                       // the test's name
    Margin margin;
    std::size_t n = 0;           // runs (a ratio: the smaller of its two studies)
    std::optional<double> value; // nullopt: not measured
    std::optional<Interval> ci;  // 95% two-sided; nullopt: `note` says why
    std::string note;
    Finding finding = Finding::undecided;
    std::optional<std::size_t> n_to_decide; // runs that would decide (nullopt: see n_note)
    std::string n_note;                     // "decided", "never: on the margin", ...
    // Share of bootstrap resamples of the runs whose estimate falls on the same side of the
    // margin as the whole data's (about 1/2 for a figure on its margin), and the share whose
    // decision (interval against margin) equals the whole data's. nullopt: not resampled.
    std::optional<double> stability, same_outcome;
};

// Margins of the tests, justified in docs/analysis.md ("Verdict: margins").
// A fixed-input repeat may differ from the first run this often and still count as reproducible:
// Cohen's conventional beta = 0.20 (Statistical Power Analysis, 1988), the miss rate a study
// design accepts, taken as the miss rate a reader accepts from a rebuild.
inline constexpr double kReproducibleMargin = 0.20;
// Parallel nondeterminism is "small" when the Fmax CV stays within the timing margin a designer
// keeps anyway: 5% of the clock, the order of the gap between two timers' estimates of the same
// placed design (nextpnr's estimate vs icetime) and of the slack a design closes with.
inline constexpr double kFmaxMarginPct = 5.0;
// A training spread is "beyond measurement" when its standard deviation exceeds one binomial
// standard error of an accuracy measured on the test set (sqrt(p (1 - p) / N)).
inline constexpr double kSamplingErrorMargin = 1.0;
// "As different as unrelated outputs": past the midpoint of the scale on which 0 is identical
// and 1 is the distance of two independent outputs (the scale's definition, not the data).
inline constexpr double kUnrelatedShare = 0.5;
// "About the same variability": a ratio within [0.80, 1.25], the equivalence range of
// bioequivalence (FDA, Statistical Approaches to Establishing Bioequivalence, 2001), tested by
// Schuirmann's two one-sided tests (1987).
inline constexpr double kEquivalenceLow = 0.80, kEquivalenceHigh = 1.25;
// Bootstrap resamples of the runs behind each stability share (and each interval inside them).
inline constexpr int kStabilityResamples = 400;
inline constexpr int kInnerResamples = 200;

} // namespace detlab::analysis
