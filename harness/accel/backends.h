// Private to harness/accel: the four backends and what they share.
#pragma once

#include "harness/accel/accel.h"

namespace detlab::accel::detail {

std::unique_ptr<GemmBackend> make_golden(const ArrayConfig& config); // oneDNN, onednn.cpp
std::unique_ptr<GemmBackend> make_tiled(const ArrayConfig& config);  // the array's tiling
std::string golden_library();
std::unique_ptr<GemmBackend> make_reference(const ArrayConfig& config);
// nullptr when no Verilated model matches the configuration.
std::unique_ptr<GemmBackend> make_rtl(const ArrayConfig& config);

// Throws std::invalid_argument for widths the arithmetic cannot represent.
void check_config(const ArrayConfig& config);
// Throws std::invalid_argument for negative sizes or inputs outside the W-bit range.
void check_gemm(const ArrayConfig& config, int m, int k, int n, const std::int8_t* a,
                const std::int8_t* b);

inline int tiles_along(int extent, int size) {
    return (extent + size - 1) / size;
}

// Counts one GEMM's useful work; cycles are each backend's own business (the rtl backend
// counts clock edges, golden computes gemm_cycles, reference models no array).
inline void count_gemm(GemmStats& stats, int m, int k, int n) {
    auto macs = static_cast<std::uint64_t>(m) * static_cast<std::uint64_t>(k) *
                static_cast<std::uint64_t>(n);
    stats.gemms += 1;
    stats.macs += macs;
}

// What every backend shares: its configuration, the statistics it counts, and the checks and
// counting at the start of each GEMM.
class CountingBackend : public GemmBackend {
public:
    explicit CountingBackend(const ArrayConfig& config) : config_(config) {}
    ArrayConfig config() const override { return config_; }
    GemmStats stats() const override { return stats_; }
    void reset_stats() override { stats_ = {}; }

protected:
    // Validates the operands and counts the GEMM's useful work.
    void begin_gemm(int m, int k, int n, const std::int8_t* a, const std::int8_t* b) {
        check_gemm(config_, m, k, n, a, b);
        count_gemm(stats_, m, k, n);
    }

    ArrayConfig config_;
    GemmStats stats_;
};

} // namespace detlab::accel::detail
