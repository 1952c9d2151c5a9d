// Throughput of a backend on repeated GEMMs, for `detlab bench accel`.
#include "harness/accel/accel.h"
#include "harness/util/util.h"

#include <algorithm>
#include <ctime>
#include <random>
#include <stdexcept>

namespace detlab::accel {
namespace {

// CPU time rather than wall time: on a shared machine the simulator's speed per core is what
// the targets are about, and it does not depend on how many other jobs run.
double thread_cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

} // namespace

BenchResult benchmark(GemmBackend& backend, int m, int k, int n, double min_seconds,
                      int fixed_gemms) {
    DeterministicRng rng(12345);
    auto draw = [&](std::size_t count) {
        std::vector<std::int8_t> values(count);
        for (auto& v : values)
            v = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
        return values;
    };
    auto a = draw(static_cast<std::size_t>(m) * static_cast<std::size_t>(k));
    auto b = draw(static_cast<std::size_t>(k) * static_cast<std::size_t>(n));
    std::vector<std::int32_t> c(static_cast<std::size_t>(m) * static_cast<std::size_t>(n));

    BenchResult result;
    result.backend = backend.name();
    result.config = backend.config();
    result.m = m;
    result.k = k;
    result.n = n;
    backend.gemm(m, k, n, a.data(), b.data(), c.data()); // warm-up, not timed
    backend.reset_stats();
    double wall_start = monotonic_seconds(), cpu_start = thread_cpu_seconds();
    do {
        backend.gemm(m, k, n, a.data(), b.data(), c.data());
        ++result.repeats;
        result.cpu_seconds = thread_cpu_seconds() - cpu_start;
    } while (fixed_gemms > 0 ? result.repeats < fixed_gemms : result.cpu_seconds < min_seconds);
    result.wall_seconds = monotonic_seconds() - wall_start;
    result.stats = backend.stats();
    return result;
}

TargetCheck check_targets(std::vector<BenchResult> rounds) {
    if (rounds.empty())
        throw std::invalid_argument("check_targets: no rounds");
    std::sort(rounds.begin(), rounds.end(), [](const auto& x, const auto& y) {
        return x.cycles_per_second() < y.cycles_per_second();
    });
    const BenchResult& median = rounds[rounds.size() / 2];
    TargetCheck check;
    check.utilisation = median.stats.utilisation(median.config.size);
    check.median_cycles_per_second = median.cycles_per_second();
    check.slowest_cycles_per_second = rounds.front().cycles_per_second();
    check.utilisation_met = check.utilisation >= kTargetUtilisation;
    check.rate_met = check.median_cycles_per_second >= kTargetCyclesPerSecond;
    return check;
}

} // namespace detlab::accel
