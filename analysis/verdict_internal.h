// Private to analysis/: the figures a claim's test reads, each measurable on any resample of its
// runs, and the evaluation of one figure against its margin (verdict_tests.cpp).
#pragma once

#include "analysis/analysis.h"

#include <functional>

namespace detlab::analysis::verdict_detail {

struct Measured {
    std::optional<double> value;
    std::optional<Interval> ci;
    std::string note;
};

// A figure measured on the runs picked (indices, with repeats) of one study, and for a ratio of
// a second one; `inner` bootstrap resamples for its interval where it needs them.
using Measure = std::function<Measured(const std::vector<std::size_t>& a,
                                       const std::vector<std::size_t>& b, int inner)>;

struct Figure {
    std::string name, test;
    std::size_t runs_a = 0, runs_b = 0; // runs_b: 0 for a figure of one study
    bool count = false;                 // a share of events: 0 of n decides exactly
    Measure measure;
};

// The share of later runs whose output differs from the first's (exact binomial interval).
Figure share_differing(const ComparisonRow& row);
// The quality's coefficient of variation in % (chi-square interval of the std).
Figure quality_cv(const ComparisonRow& row);
// The accuracy's std over one binomial standard error of the test set (chi-square interval).
Figure quality_vs_sampling(const ComparisonRow& row);
// The mean over pairs of runs of a runs x runs matrix (percentile bootstrap over runs).
Figure pair_figure(const std::vector<double>& matrix, std::size_t runs, std::string name);
// The ratio of two studies' pair means (percentile bootstrap over both studies' runs).
Figure pair_ratio(const std::vector<double>& a, std::size_t runs_a, const std::vector<double>& b,
                  std::size_t runs_b, std::string name);

Evidence evaluate(const Figure& figure, const Margin& margin);

} // namespace detlab::analysis::verdict_detail
