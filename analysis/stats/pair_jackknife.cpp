// The jackknife interval of a mean over pairs (a U-statistic of degree two) from row sums: one
// walk of the matrix, then O(n), where the bootstrap walks every pair once per resample.
#include "analysis/stats/stats.h"

#include <cmath>

namespace detlab::analysis {

std::optional<Interval> pair_mean_jackknife(const std::vector<double>& matrix, std::size_t n,
                                            double confidence) {
    if (n < 3 || matrix.size() != n * n)
        return std::nullopt;
    // Row sums and counts of measured pairs; each pair is read once (a < b) and credited to both.
    std::vector<double> row_sum(n, 0.0);
    std::vector<std::size_t> row_count(n, 0);
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t a = 0; a < n; ++a) {
        const double* row = matrix.data() + a * n;
        for (std::size_t b = a + 1; b < n; ++b)
            if (double v = row[b]; !std::isnan(v)) {
                row_sum[a] += v;
                row_sum[b] += v;
                ++row_count[a];
                ++row_count[b];
                sum += v;
                ++count;
            }
    }
    // Leave-one-run-out means: every pair that involves run i goes.
    std::vector<double> left_out;
    left_out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        if (count > row_count[i])
            left_out.push_back((sum - row_sum[i]) / double(count - row_count[i]));
    if (left_out.size() < 3)
        return std::nullopt;
    double mean = 0;
    for (double v : left_out)
        mean += v;
    mean /= double(left_out.size());
    double squares = 0;
    for (double v : left_out)
        squares += (v - mean) * (v - mean);
    double k = double(left_out.size());
    double se = std::sqrt((k - 1) / k * squares);
    double estimate = sum / double(count);
    double t = student_t_quantile(1 - (1 - confidence) / 2, k - 1);
    return Interval{estimate - t * se, estimate + t * se};
}

} // namespace detlab::analysis
