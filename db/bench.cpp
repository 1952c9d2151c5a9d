// The store benchmark: recording throughput of one writer against several, then verified reads.
#include "db/internal.h"

#include <thread>

namespace detlab::db {
namespace {

// Deterministic filler: bitstream-like bytes differ per run, the netlist is shared by all runs
// (a seed sweep reuses one synthesis), so the benchmark also exercises deduplication.
std::string filler(std::size_t size, std::uint64_t seed, bool text) {
    std::string bytes(size, '\0');
    std::uint64_t state = derive_seed(seed, "bench-store");
    for (std::size_t i = 0; i < size; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        auto byte = static_cast<unsigned char>(state >> 59); // mostly small values: compressible
        bytes[i] = text ? "01.\n"[byte & 3] : static_cast<char>(byte);
    }
    return bytes;
}

RunResult bench_run(int index, const std::string& netlist) {
    RunResult run;
    run.kind = db::kKindToolchain;
    run.config_json = R"({"bench":true,"seed":)" + std::to_string(index) + "}";
    run.id = new_observation_id();
    run.experiment = "bench-store";
    run.started_at = unix_time_now();
    run.host = "bench";
    run.add_param("seed", std::to_string(index));
    for (const std::string& metric :
         {std::string(db::metric::kFmaxMhz), std::string(db::metric::kLogicCells),
          db::metric::stage_wall_s("yosys"), db::metric::stage_wall_s("nextpnr")})
        run.add_metric(metric, index * 0.5);
    auto seed = static_cast<std::uint64_t>(index);
    run.add_artifact(db::artifact::kNetlist, std::string_view(netlist));
    run.add_artifact(db::artifact::kBitstream, filler(32220, seed, false)); // HX1K .bin size
    run.add_artifact(db::artifact::kAsc, filler(100'000, seed, true));
    run.add_artifact("nextpnr.log", filler(5'000, seed + 1'000'000, true));
    return run;
}

double record_all(const std::filesystem::path& path, const std::vector<RunResult>& runs,
                  int writers) {
    double start = monotonic_seconds();
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w)
        threads.emplace_back([&, w] {
            Store store(path); // one connection per thread
            for (std::size_t i = static_cast<std::size_t>(w); i < runs.size();
                 i += static_cast<std::size_t>(writers))
                store.record_run(runs[i]);
        });
    for (auto& thread : threads)
        thread.join();
    return monotonic_seconds() - start;
}

} // namespace

StoreBenchResult bench_store(const std::filesystem::path& dir, int runs, int writers) {
    if (runs < 1 || writers < 1)
        throw InputError("bench store: --runs and --writers must be at least 1");
    std::string netlist = filler(200'000, 7, true);
    std::vector<RunResult> results;
    for (int i = 0; i < runs; ++i)
        results.push_back(bench_run(i, netlist));

    StoreBenchResult out;
    out.runs = runs;
    out.writers = writers;
    out.baseline_seconds = record_all(dir / "baseline.db", results, 1);
    out.parallel_seconds = record_all(dir / "parallel.db", results, writers);
    out.baseline_runs_per_s = runs / out.baseline_seconds;
    out.parallel_runs_per_s = runs / out.parallel_seconds;
    out.parallel_speedup = out.parallel_runs_per_s / out.baseline_runs_per_s;

    Store store(dir / "parallel.db");
    double start = monotonic_seconds();
    for (const auto& run : results)
        for (const auto& [name, sha] : store.artifacts(run.id))
            out.verified_bytes += static_cast<std::int64_t>(store.get_blob(sha).size());
    out.verify_seconds = monotonic_seconds() - start;
    out.verify_mib_per_s = static_cast<double>(out.verified_bytes) / (1 << 20) / out.verify_seconds;
    out.info = store.info();
    return out;
}

} // namespace detlab::db
