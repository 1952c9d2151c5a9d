// The tests behind the verdict: each figure measured on any resample of its runs, held against
// its margin at one confidence level (the two-sided kConfidence interval), with the n that would
// decide it and the share of bootstrap resamples that decide the same way.
#include "analysis/verdict_internal.h"

#include <algorithm>
#include <cmath>

namespace detlab::analysis::verdict_detail {
namespace {

constexpr std::uint64_t kStabilitySeed = 20250311;

std::vector<std::size_t> all_runs(std::size_t n) {
    std::vector<std::size_t> out(n);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = i;
    return out;
}

std::vector<std::size_t> draw(const std::vector<std::size_t>& from, DeterministicRng& rng) {
    std::vector<std::size_t> out(from.size());
    for (auto& pick : out)
        pick = from[rng.below(from.size())];
    return out;
}

// Mean over pairs of different runs among the picks (a run drawn twice is no pair with itself).
double picked_pair_mean(const std::vector<double>& matrix, std::size_t n,
                        const std::vector<std::size_t>& picks) {
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t a = 0; a < picks.size(); ++a)
        for (std::size_t b = a + 1; b < picks.size(); ++b) {
            if (picks[a] == picks[b])
                continue;
            double v = matrix[picks[a] * n + picks[b]];
            if (!std::isnan(v)) {
                sum += v;
                ++count;
            }
        }
    return count ? sum / double(count) : std::nan("");
}

Interval percentile(std::vector<double> values) {
    values.erase(
        std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
        values.end());
    if (values.empty())
        return {std::nan(""), std::nan("")};
    std::sort(values.begin(), values.end());
    double alpha = 1 - kConfidence;
    auto at = [&](double q) {
        auto i =
            std::size_t(std::clamp(q * double(values.size() - 1), 0.0, double(values.size() - 1)));
        return values[i];
    };
    return {at(alpha / 2), at(1 - alpha / 2)};
}

std::string too_few(std::size_t runs) {
    return "n=" + std::to_string(runs) + " too small for a bootstrap interval (covers from " +
           std::to_string(kMinBootstrapRuns) + " runs)";
}

// The spread of the picked values in the unit `unit_of` gives (from the picks' mean and std).
Measured spread_of(const std::vector<double>& values, const std::vector<std::size_t>& picks,
                   const std::function<double(const Summary&)>& unit_of) {
    std::vector<double> picked;
    for (auto i : picks)
        picked.push_back(values[i]);
    Summary s = summarize(picked);
    Measured m;
    if (s.n < 2) {
        m.note = "n=" + std::to_string(s.n) + ": no spread";
        return m;
    }
    if (s.min == s.max) {
        m.value = 0;
        m.ci = Interval{0, 0};
        m.note = "all identical";
        return m;
    }
    double unit = unit_of(s);
    if (!(unit > 0))
        return m;
    m.value = s.std / unit;
    if (auto ci = std_interval(s.std, s.n))
        m.ci = Interval{ci->low / unit, ci->high / unit};
    return m;
}

bool on_supported_side(double value, const Margin& margin) {
    switch (margin.direction) {
    case Direction::at_most:
        return value <= margin.high;
    case Direction::at_least:
        return value >= margin.low;
    case Direction::within:
        break;
    }
    return value >= margin.low && value <= margin.high;
}

Finding decide(const Measured& m, const Margin& margin) {
    if (!m.value)
        return Finding::undecided;
    // A margin of exactly none ("no mismatch"): one observed event contradicts.
    if (margin.direction == Direction::at_most && margin.high == 0)
        return *m.value == 0 ? Finding::supported : Finding::contradicted;
    if (!m.ci)
        return Finding::undecided;
    double lo = m.ci->low, hi = m.ci->high;
    switch (margin.direction) {
    case Direction::at_most:
        return hi <= margin.high  ? Finding::supported
               : lo > margin.high ? Finding::contradicted
                                  : Finding::undecided;
    case Direction::at_least:
        return lo >= margin.low  ? Finding::supported
               : hi < margin.low ? Finding::contradicted
                                 : Finding::undecided;
    case Direction::within:
        break;
    }
    if (lo >= margin.low && hi <= margin.high)
        return Finding::supported;
    if (hi < margin.low || lo > margin.high)
        return Finding::contradicted;
    return Finding::undecided;
}

// The runs that would decide, as `detlab plan` estimates them: the interval's half-width shrinks
// as 1/sqrt(n), so it clears the margin once n (half-width / distance)^2 runs are in. A share of
// 0 of n decides exactly: (1 - margin)^n = alpha/2.
void plan(const Figure& figure, const Measured& m, const Margin& margin, Evidence& e) {
    std::size_t n = std::max(figure.runs_a, figure.runs_b);
    if (e.finding != Finding::undecided) {
        e.n_note = "decided";
        return;
    }
    if (!m.value) {
        e.n_note = "not measured";
        return;
    }
    double alpha = 1 - kConfidence;
    if (figure.count && *m.value == 0 && margin.direction == Direction::at_most) {
        e.n_to_decide = std::size_t(std::ceil(std::log(alpha / 2) / std::log1p(-margin.high))) + 1;
        e.n_note = "0 of n differing decides at n-1 trials";
        return;
    }
    if (!m.ci) {
        e.n_to_decide = std::max<std::size_t>(kMinBootstrapRuns, n + 1);
        e.n_note = "at least this many for an interval";
        return;
    }
    double v = *m.value;
    std::vector<double> bounds;
    if (margin.direction != Direction::at_most)
        bounds.push_back(margin.low);
    if (margin.direction != Direction::at_least)
        bounds.push_back(margin.high);
    double distance = std::numeric_limits<double>::infinity();
    for (double b : bounds)
        distance = std::min(distance, std::fabs(v - b));
    double half = std::max(m.ci->high - v, v - m.ci->low);
    if (distance == 0 || half <= 0) {
        e.n_note = "never: the estimate sits on the margin";
        return;
    }
    double needed = std::ceil(double(n) * (half / distance) * (half / distance));
    e.n_to_decide = std::max(std::size_t(needed), n + 1);
    e.n_note = "from the observed variance";
}

} // namespace

Figure share_differing(const ComparisonRow& row) {
    Figure f;
    f.name = "share of fixed-input repeats whose output differs from the first run's";
    f.test = "exact binomial test (Clopper-Pearson interval, one-sided at 2.5%)";
    f.runs_a = row.differs.size();
    f.count = true;
    f.measure = [flags = row.differs](const std::vector<std::size_t>& a,
                                      const std::vector<std::size_t>&, int) {
        Measured m;
        if (a.empty()) {
            m.note = "no repeats";
            return m;
        }
        std::size_t k = 0;
        for (auto i : a)
            k += flags[i] > 0;
        Proportion p = binomial_proportion(k, a.size());
        m.value = p.value();
        m.ci = p.ci;
        m.note = std::to_string(k) + "/" + std::to_string(a.size());
        return m;
    };
    return f;
}

Figure quality_cv(const ComparisonRow& row) {
    Figure f;
    f.name = row.quality_label != "fmax" ? "test accuracy CV (%)"
             : row.fmax_timer.empty()    ? "Fmax CV (%)"
                                         : "Fmax CV (%, " + row.fmax_timer + ")";
    f.test = "chi-square interval of the standard deviation, one-sided at 2.5%";
    f.runs_a = row.quality_values.size();
    f.measure = [values = row.quality_values](const std::vector<std::size_t>& a,
                                              const std::vector<std::size_t>&, int) {
        return spread_of(values, a, [](const Summary& s) { return std::fabs(s.mean) / 100; });
    };
    return f;
}

Figure quality_vs_sampling(const ComparisonRow& row) {
    Figure f;
    f.name = "accuracy std over its test-set sampling error";
    f.test = "chi-square interval of the standard deviation, one-sided at 2.5%";
    f.runs_a = row.test_samples > 0 ? row.quality_values.size() : 0;
    f.measure = [values = row.quality_values, n = row.test_samples](
                    const std::vector<std::size_t>& a, const std::vector<std::size_t>&, int) {
        if (n == 0)
            return Measured{{}, {}, "test-set size unknown"};
        return spread_of(values, a, [n](const Summary& s) {
            return std::sqrt(s.mean * (1 - s.mean) / double(n));
        });
    };
    return f;
}

Figure pair_figure(const std::vector<double>& matrix, std::size_t runs, std::string name) {
    Figure f;
    f.name = std::move(name);
    f.test = "percentile bootstrap over runs, one-sided at 2.5%";
    f.runs_a = matrix.size() == runs * runs ? runs : 0;
    f.measure = [matrix, runs](const std::vector<std::size_t>& a, const std::vector<std::size_t>&,
                               int inner) {
        Measured m;
        double mean = picked_pair_mean(matrix, runs, a);
        if (std::isnan(mean)) {
            m.note = "not measured";
            return m;
        }
        m.value = mean;
        bool all_zero = true;
        for (std::size_t i = 0; i < a.size() && all_zero; ++i)
            for (std::size_t j = 0; j < a.size() && all_zero; ++j)
                if (a[i] != a[j] && matrix[a[i] * runs + a[j]] > 0)
                    all_zero = false;
        if (all_zero) {
            m.ci = Interval{0, 0};
            m.note = "all identical";
        } else if (a.size() < kMinBootstrapRuns) {
            m.note = too_few(a.size());
        } else if (inner > 0) {
            DeterministicRng rng(kBootstrapSeed);
            std::vector<double> means;
            for (int r = 0; r < inner; ++r)
                means.push_back(picked_pair_mean(matrix, runs, draw(a, rng)));
            m.ci = percentile(std::move(means));
        }
        return m;
    };
    return f;
}

Figure pair_ratio(const std::vector<double>& a, std::size_t runs_a, const std::vector<double>& b,
                  std::size_t runs_b, std::string name) {
    Figure f;
    f.name = std::move(name);
    f.test = "two one-sided tests (Schuirmann) by the percentile bootstrap interval of the ratio";
    f.runs_a = a.size() == runs_a * runs_a ? runs_a : 0;
    f.runs_b = b.size() == runs_b * runs_b ? runs_b : 0;
    f.measure = [a, b, runs_a, runs_b](const std::vector<std::size_t>& pa,
                                       const std::vector<std::size_t>& pb, int inner) {
        Measured m;
        double top = picked_pair_mean(a, runs_a, pa), bottom = picked_pair_mean(b, runs_b, pb);
        if (std::isnan(top) || std::isnan(bottom)) {
            m.note = "not measured";
            return m;
        }
        if (bottom == 0) {
            m.note = "the reference study never differs: no ratio";
            return m;
        }
        m.value = top / bottom;
        std::size_t fewest = std::min(pa.size(), pb.size());
        if (fewest < kMinBootstrapRuns) {
            m.note = too_few(fewest);
        } else if (inner > 0) {
            DeterministicRng rng(kBootstrapSeed);
            std::vector<double> ratios;
            for (int r = 0; r < inner; ++r) {
                double below = picked_pair_mean(b, runs_b, draw(pb, rng));
                double above = picked_pair_mean(a, runs_a, draw(pa, rng));
                ratios.push_back(below > 0 ? above / below : std::nan(""));
            }
            m.ci = percentile(std::move(ratios));
        }
        return m;
    };
    return f;
}

Evidence evaluate(const Figure& figure, const Margin& margin) {
    Evidence e;
    e.figure = figure.name;
    e.test = figure.test;
    e.margin = margin;
    e.n = figure.runs_b ? std::min(figure.runs_a, figure.runs_b) : figure.runs_a;
    if (figure.runs_a == 0 || !figure.measure) {
        e.note = "not measured";
        e.n_note = "not measured";
        return e;
    }
    auto a = all_runs(figure.runs_a), b = all_runs(figure.runs_b);
    Measured whole = figure.measure(a, b, kBootstrapResamples);
    e.value = whole.value;
    e.ci = whole.ci;
    e.note = whole.note;
    e.finding = decide(whole, margin);
    plan(figure, whole, margin, e);
    if (!whole.value)
        return e;
    // The same test on resamples of the runs: how often the estimate stays on its side of the
    // margin, and how often the decision comes out the same. A resample stands for another
    // sample of the same n (the double bootstrap, Efron & Tibshirani 1993, ch. 19), so the
    // interval's minimum of runs is judged at its size, not at its distinct runs (about 0.65 n):
    // judged at those, a study of exactly the minimum was never "the same outcome".
    bool side = on_supported_side(*whole.value, margin);
    DeterministicRng rng(kStabilitySeed);
    std::size_t same_side = 0, same_outcome = 0, measured = 0;
    for (int r = 0; r < kStabilityResamples; ++r) {
        auto ra = draw(a, rng);
        auto rb = b.empty() ? b : draw(b, rng);
        Measured m = figure.measure(ra, rb, kInnerResamples);
        if (!m.value)
            continue;
        ++measured;
        same_side += on_supported_side(*m.value, margin) == side;
        same_outcome += decide(m, margin) == e.finding;
    }
    if (measured > 0) {
        e.stability = double(same_side) / double(measured);
        e.same_outcome = double(same_outcome) / double(measured);
    }
    return e;
}

} // namespace detlab::analysis::verdict_detail
