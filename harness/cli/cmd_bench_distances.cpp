// `detlab bench distances`: pairwise bitstream distances against a naive loop.
#include "analysis/analysis.h"
#include "harness/cli/cli.h"

#include <cstdio>
#include <memory>

namespace detlab::cli {
namespace {

struct BenchOptions {
    std::size_t bitstreams = 200, bytes = 135100, baseline_pairs = 200;
};

void run_bench(const BenchOptions& o) {
    if (o.bitstreams < 2 || o.bytes == 0)
        throw InputError("--bitstreams: need at least 2 bitstreams of at least 1 byte");
    auto r = analysis::bench_distances(o.bitstreams, o.bytes, o.baseline_pairs);
    std::printf("pairwise distances: %zu bitstreams x %zu bytes = %zu pairs\n", r.bitstreams,
                r.bytes_each, r.pairs);
    std::printf("  word-wide popcount: %.3f s, %.0f pairs/s (mean Hamming %.4f)\n", r.seconds,
                r.pairs_per_s, r.mean_hamming);
    std::printf("  naive bit loop:     %.3f s for %zu pairs, %.0f pairs/s\n", r.baseline_seconds,
                r.baseline_pairs, r.baseline_pairs_per_s);
    std::printf("  speedup %.1fx; results %s\n", r.speedup, r.agree ? "agree" : "DISAGREE");
    if (!r.agree)
        throw CLI::RuntimeError(1);
}

const Registration registration(90, [](CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<BenchOptions>();
    auto* cmd = bench_group(app).add_subcommand(
        "distances", "all pairwise Hamming/Jaccard distances of HX8K-sized bitstreams, against "
                     "a naive bit-by-bit loop");
    cmd->add_option("--bitstreams", options->bitstreams, "number of bitstreams")
        ->capture_default_str();
    cmd->add_option("--bytes", options->bytes, "bytes per bitstream (HX8K .bin: 135100)")
        ->capture_default_str();
    cmd->add_option("--baseline-pairs", options->baseline_pairs, "pairs timed with the naive loop")
        ->capture_default_str();
    cmd->callback([options] { run_bench(*options); });
});

} // namespace
} // namespace detlab::cli
