// `detlab bench store`: the store's recording and verified-read throughput. Part of db/store.h.
#pragma once

#include "db/maintenance.h"

#include <cstdint>
#include <filesystem>

namespace detlab::db {

// How fast runs shaped like toolchain runs (a shared netlist, a unique bitstream and .asc per
// run, logs) are recorded by one writer (the baseline) and by `writers` threads with a
// connection each into a fresh store under `dir`, and how fast every artifact is read back and
// verified.
struct StoreBenchResult {
    int runs = 0, writers = 0;
    double baseline_seconds = 0, baseline_runs_per_s = 0;
    double parallel_seconds = 0, parallel_runs_per_s = 0;
    double parallel_speedup = 0; // parallel_runs_per_s / baseline_runs_per_s
    double verify_seconds = 0, verify_mib_per_s = 0;
    std::int64_t verified_bytes = 0;
    StoreInfo info; // of the parallel store
};
StoreBenchResult bench_store(const std::filesystem::path& dir, int runs, int writers);

} // namespace detlab::db
