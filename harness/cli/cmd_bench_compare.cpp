// `detlab bench compare`: compare's cost on one group of N runs, against the bootstrap it used.
#include "analysis/analysis.h"
#include "harness/cli/cli.h"

#include <cstdio>
#include <memory>

namespace detlab::cli {
namespace {

struct BenchCompareOptions {
    std::vector<std::size_t> runs{100, 1000, 10000};
    std::size_t old_max = 1000;
    std::string dir = "bench-compare";
};

void run_bench(const BenchCompareOptions& o) {
    for (auto n : o.runs)
        if (n < 3)
            throw InputError("--runs: " + std::to_string(n) + " runs: need at least 3");
    for (auto n : o.runs) {
        auto r = analysis::bench_compare(n, o.dir, o.old_max);
        std::printf("%zu runs in one group: compare %.3f s (intervals: %s; pair matrices %.1f MB "
                    "= 2 x 8 n^2 bytes), store written in %.1f s\n",
                    r.runs, r.compare_seconds, r.interval_method.c_str(),
                    double(r.matrix_bytes) / 1e6, r.store_seconds);
        if (r.bootstrap_seconds)
            std::printf("  the bootstrap of the two pairwise figures alone (the old method): "
                        "%.3f s, %.1fx the whole compare\n",
                        *r.bootstrap_seconds, *r.bootstrap_seconds / r.compare_seconds);
        else
            std::printf("  the old method's bootstrap not timed above %zu runs (--old-max)\n",
                        o.old_max);
    }
}

const Registration registration(92, [](CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<BenchCompareOptions>();
    auto* cmd = bench_group(app).add_subcommand(
        "compare", "detlab compare on a synthetic store of N runs in one group, against the "
                   "bootstrap of the pairwise figures that it used at every size");
    cmd->add_option("--runs", options->runs, "group sizes to time")->capture_default_str();
    cmd->add_option("--old-max", options->old_max,
                    "largest group on which the old method is timed too")
        ->capture_default_str();
    cmd->add_option("--dir", options->dir, "where the synthetic stores are written (removed)")
        ->capture_default_str();
    cmd->callback([options] { run_bench(*options); });
});

} // namespace
} // namespace detlab::cli
