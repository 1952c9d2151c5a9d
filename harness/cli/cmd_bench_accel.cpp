// `detlab bench accel`: simulated cycles/s, MACs/s and utilisation of the Verilated array
// (2x2 and 4x4), and the golden model's MACs/s on the same GEMM as a ratio.
#include "harness/accel/accel.h"
#include "harness/cli/cli.h"
#include "harness/common/common.h"

#include <cstdio>
#include <memory>

namespace detlab::cli {
namespace {

struct BenchOptions {
    int m = 64, k = 64, n = 64;
    double seconds = 1.0;
};

void print_row(const accel::BenchResult& r, double baseline_macs_per_s) {
    int size = r.config.size;
    std::printf("%-9s %dx%d   %5d %9.2f M %9.2f M %10.2f%% %10.2f %6.2f\n", r.backend.c_str(), size,
                size, r.repeats, r.cycles_per_second() / 1e6, r.macs_per_second() / 1e6,
                100.0 * r.stats.utilisation(size), r.macs_per_second() / baseline_macs_per_s,
                r.wall_seconds > 0 ? r.cpu_seconds / r.wall_seconds : 0.0);
}

void run_bench(const BenchOptions& o) {
    if (o.m < 1 || o.k < 1 || o.n < 1)
        throw InputError("--m/--k/--n: GEMM sizes must be at least 1");
    if (o.seconds <= 0)
        throw InputError("--seconds: must be positive");
    std::printf("GEMM %dx%dx%d, int8 inputs, 24-bit accumulators, >= %.1f CPU s per row; rates "
                "per CPU second of one core\n",
                o.m, o.k, o.n, o.seconds);
    std::printf("%-9s %-5s %7s %11s %11s %11s %10s %6s\n", "backend", "array", "gemms", "cycles/s",
                "MACs/s", "utilisation", "MACs/s vs", "cpu/");
    std::printf("%-9s %-5s %7s %11s %11s %11s %10s %6s\n", "", "", "", "(simulated)", "", "",
                "rtl 4x4", "wall");
    std::vector<accel::BenchResult> results;
    for (int size : {4, 2}) {
        auto rtl = accel::make_backend("rtl", {size, 8, 24});
        results.push_back(accel::benchmark(*rtl, o.m, o.k, o.n, o.seconds));
    }
    auto golden = accel::make_backend("golden", {4, 8, 24});
    results.push_back(accel::benchmark(*golden, o.m, o.k, o.n, o.seconds));
    double baseline = results.front().macs_per_second();
    for (const auto& r : results)
        print_row(r, baseline);
    std::printf("golden model / rtl 4x4 MACs/s: %.1fx\n",
                results.back().macs_per_second() / baseline);
}

const Registration registration(91, [](CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<BenchOptions>();
    auto* cmd = bench_group(app).add_subcommand(
        "accel", "simulated cycles/s, MACs/s and utilisation of the Verilated systolic array "
                 "(4x4, 2x2), with the golden model's MACs/s as a ratio");
    cmd->add_option("--m", options->m, "rows of A and C")->capture_default_str();
    cmd->add_option("--k", options->k, "columns of A, rows of B")->capture_default_str();
    cmd->add_option("--n", options->n, "columns of B and C")->capture_default_str();
    cmd->add_option("--seconds", options->seconds, "minimum time per measured row")
        ->capture_default_str();
    cmd->callback([options] { run_bench(*options); });
});

} // namespace
} // namespace detlab::cli
