// `detlab bench accel`: simulated cycles/s, MACs/s and utilisation of the Verilated array
// (2x2 and 4x4), and the golden model's MACs/s on the same GEMM as a ratio.
#include "harness/accel/accel.h"
#include "harness/cli/cli.h"
#include "harness/util/util.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

namespace detlab::cli {
namespace {

struct BenchOptions {
    int m = 64, k = 64, n = 64;
    double seconds = 1.0;
    int gemms = 0;
    int rounds = 3;
};

// One benchmarked backend and its result in every round.
struct Row {
    std::unique_ptr<accel::GemmBackend> backend;
    std::vector<accel::BenchResult> rounds;

    const accel::BenchResult& median() const { return rounds[rounds.size() / 2]; }
    void sort_by_rate() {
        std::sort(rounds.begin(), rounds.end(), [](const auto& x, const auto& y) {
            return x.cycles_per_second() < y.cycles_per_second();
        });
    }
};

double one_minute_load() {
    double load = 0;
    return getloadavg(&load, 1) == 1 ? load : -1;
}

void print_row(const Row& row, double baseline_macs_per_s) {
    const auto& r = row.median();
    int size = r.config.size;
    std::printf("%-9s %dx%d   %5d %9.2f M %6.2f-%-6.2f %9.2f M %10.2f%% %9.2f %6.2f\n",
                r.backend.c_str(), size, size, r.repeats, r.cycles_per_second() / 1e6,
                row.rounds.front().cycles_per_second() / 1e6,
                row.rounds.back().cycles_per_second() / 1e6, r.macs_per_second() / 1e6,
                100.0 * r.stats.utilisation(size), r.macs_per_second() / baseline_macs_per_s,
                r.wall_seconds > 0 ? r.cpu_seconds / r.wall_seconds : 0.0);
}

void run_bench(const BenchOptions& o) {
    if (o.m < 1 || o.k < 1 || o.n < 1)
        throw InputError("--m/--k/--n: GEMM sizes must be at least 1");
    if (o.seconds <= 0)
        throw InputError("--seconds: must be positive");
    if (o.gemms < 0 || o.rounds < 1)
        throw InputError("--gemms must be at least 0 and --rounds at least 1");

    std::vector<Row> rows;
    for (int size : {4, 2})
        rows.push_back({accel::make_backend("rtl", {size, 8, 24}), {}});
    rows.push_back({accel::make_backend("golden", {4, 8, 24}), {}});

    double load_before = one_minute_load();
    // Rows take turns round by round, so a burst of load elsewhere hits them alike.
    for (int round = 0; round < o.rounds; ++round)
        for (auto& row : rows)
            row.rounds.push_back(accel::benchmark(*row.backend, o.m, o.k, o.n, o.seconds, o.gemms));
    double load_after = one_minute_load();
    for (auto& row : rows)
        row.sort_by_rate();

    char per_row[64];
    if (o.gemms > 0)
        std::snprintf(per_row, sizeof per_row, "%d GEMMs", o.gemms);
    else
        std::snprintf(per_row, sizeof per_row, ">= %g CPU s", o.seconds);
    std::printf("GEMM %dx%dx%d, int8 inputs, 24-bit accumulators; %d round(s) of %s per row, "
                "median round shown; rates per CPU second of one core\n",
                o.m, o.k, o.n, o.rounds, per_row);
    std::printf("%-9s %-5s %7s %11s %13s %11s %11s %9s %6s\n", "backend", "array", "gemms",
                "cycles/s", "cycles/s", "MACs/s", "utilisation", "MACs/s vs", "cpu/");
    std::printf("%-9s %-5s %7s %11s %13s %11s %11s %9s %6s\n", "", "", "", "(simulated)",
                "range (M)", "", "", "rtl 4x4", "wall");
    double baseline = rows.front().median().macs_per_second();
    for (const auto& row : rows)
        print_row(row, baseline);
    std::printf("golden model / rtl 4x4 MACs/s: %.1fx\n",
                rows.back().median().macs_per_second() / baseline);

    auto targets = accel::check_targets(rows.front().rounds); // the 4x4 core
    auto verdict = [](bool met) {
        return met ? "met" : "NOT met";
    };
    std::printf("targets, 4x4 core: utilisation %.2f%% (>= %.0f%%: %s); simulated cycles/s median "
                "%.2f M, slowest round %.2f M (>= %.0f M: %s)\n",
                100.0 * targets.utilisation, 100.0 * accel::kTargetUtilisation,
                verdict(targets.utilisation_met), targets.median_cycles_per_second / 1e6,
                targets.slowest_cycles_per_second / 1e6, accel::kTargetCyclesPerSecond / 1e6,
                verdict(targets.rate_met));
    // CPU-time rates still drop when other work shares the core's caches or the host steals
    // the virtual CPU, so the load is part of the result.
    std::printf("load average (1 min) %.2f before, %.2f after, %u CPUs\n", load_before, load_after,
                std::thread::hardware_concurrency());
}

const Registration registration(91, [](CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<BenchOptions>();
    auto* cmd = bench_group(app).add_subcommand(
        "accel", "simulated cycles/s, MACs/s and utilisation of the Verilated systolic array "
                 "(4x4, 2x2), with the golden model's MACs/s as a ratio");
    cmd->add_option("--m", options->m, "rows of A and C")->capture_default_str();
    cmd->add_option("--k", options->k, "columns of A, rows of B")->capture_default_str();
    cmd->add_option("--n", options->n, "columns of B and C")->capture_default_str();
    cmd->add_option("--seconds", options->seconds, "minimum CPU time per row and round")
        ->capture_default_str();
    cmd->add_option("--gemms", options->gemms,
                    "exactly this many timed GEMMs per row and round instead of --seconds "
                    "(repeatable work, e.g. under callgrind)")
        ->capture_default_str();
    cmd->add_option("--rounds", options->rounds,
                    "rounds; the rows take turns and the median round is shown")
        ->capture_default_str();
    cmd->callback([options] { run_bench(*options); });
});

} // namespace
} // namespace detlab::cli
