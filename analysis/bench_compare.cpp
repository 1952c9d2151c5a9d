// Benchmark of `compare` on one large group: a synthetic store, timed end to end, beside the
// bootstrap that the pairwise figures used at every size before.
#include "analysis/analysis.h"

#include <chrono>

namespace detlab::analysis {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A 64-byte bitstream that is no iCE40 file (compared over all bytes) with a few bits flipped
// per run, and an Fmax around 100 MHz.
db::RunResult synthetic_build(std::size_t index, DeterministicRng& rng) {
    db::RunResult r;
    r.config_json = "{\"seed\":" + std::to_string(index) + "}";
    r.id = db::run_id("toolchain", r.config_json, 0);
    r.experiment = "bench";
    r.kind = "toolchain";
    r.host = "bench";
    r.add_param(db::param::kStudy, "seed");
    r.add_param(db::param::kFactor, "seed");
    r.add_param(db::param::kFactorValue, std::to_string(index));
    Bytes bin(64, 0x5A);
    for (int flip = 0; flip < 4; ++flip) {
        auto bit = rng.below(bin.size() * 8);
        bin[bit / 8] = static_cast<std::uint8_t>(bin[bit / 8] ^ (1u << (bit % 8)));
    }
    r.add_artifact("bitstream.bin", bin);
    r.add_metric("fmax_mhz", 95 + 10 * rng.uniform());
    return r;
}

} // namespace

CompareBenchResult bench_compare(std::size_t runs, const std::filesystem::path& dir,
                                 std::size_t old_max_runs) {
    CompareBenchResult out;
    out.runs = runs;
    std::filesystem::create_directories(dir);
    auto path = dir / ("bench-compare-" + std::to_string(runs) + ".db");
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");
    auto start = std::chrono::steady_clock::now();
    {
        db::Store store(path);
        DeterministicRng rng(runs);
        for (std::size_t i = 0; i < runs; ++i)
            store.record_run(synthetic_build(i, rng));
    }
    out.store_seconds = seconds_since(start);
    db::Store store(path);
    start = std::chrono::steady_clock::now();
    auto summaries = analyse(store, std::nullopt);
    auto rows = comparison_rows(summaries);
    out.compare_seconds = seconds_since(start);
    out.interval_method = runs > kBootstrapMaxRuns ? "jackknife" : "bootstrap";
    for (const auto& s : summaries) {
        if (!s.toolchain)
            continue;
        const auto& t = *s.toolchain;
        out.matrix_bytes = 8 * (t.bitstream.bits_matrix.size() +
                                t.bitstream.normalised_matrix.size() + t.functional_matrix.size());
        if (runs > old_max_runs)
            break;
        // The old method: every pairwise figure's bootstrap, whatever the group's size.
        start = std::chrono::steady_clock::now();
        auto n = s.group.runs.size();
        PairMean a = pair_mean_bootstrap(t.bitstream.bits_matrix, n);
        PairMean b = pair_mean_bootstrap(t.bitstream.normalised_matrix, n);
        out.bootstrap_seconds = seconds_since(start);
        if (!a.ci || !b.ci)
            out.interval_method += " (the bootstrap gave no interval)";
    }
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");
    return out;
}

} // namespace detlab::analysis
