// The tiled model (the array's tiling and AW-bit arithmetic in plain C++, the reference the RTL
// is compared with) and the naive reference GEMM. Both must agree with the RTL bit for bit.
#include "harness/accel/backends.h"

#include <algorithm>

namespace detlab::accel::detail {
namespace {

// Mirrors the hardware: output-stationary N x N tiles, one accumulator per PE that adds the
// sign-extended W x W product every slice and wraps at AW bits. Padding PEs of edge tiles
// only ever add 0 * x, so they are skipped.
class TiledBackend final : public CountingBackend {
public:
    explicit TiledBackend(const ArrayConfig& config) : CountingBackend(config) {}
    std::string name() const override { return "tiled"; }

    void gemm(int m, int k, int n, const std::int8_t* a, const std::int8_t* b,
              std::int32_t* c) override {
        begin_gemm(m, k, n, a, b);
        stats_.busy_mac_cycles = stats_.macs;
        stats_.cycles += gemm_cycles(config_, m, k, n);
        const int size = config_.size;
        std::vector<std::uint32_t> acc(static_cast<std::size_t>(size * size));
        for (int row0 = 0; row0 < m; row0 += size) {
            for (int col0 = 0; col0 < n; col0 += size) {
                int rows = std::min(size, m - row0), cols = std::min(size, n - col0);
                std::fill(acc.begin(), acc.end(), 0u);
                for (int kk = 0; kk < k; ++kk)
                    accumulate_slice(rows, cols, a + static_cast<std::ptrdiff_t>(row0) * k + kk, k,
                                     b + static_cast<std::ptrdiff_t>(kk) * n + col0, acc.data());
                for (int i = 0; i < rows; ++i)
                    for (int j = 0; j < cols; ++j)
                        c[static_cast<std::ptrdiff_t>(row0 + i) * n + col0 + j] = wrap_to_width(
                            acc[static_cast<std::size_t>(i * size + j)], config_.acc_width);
            }
        }
    }

private:
    // One k-slice: PE(i, j) adds A[i][k] * B[k][j]; unsigned arithmetic wraps mod 2^32, and
    // AW <= 32, so keeping the low AW bits at the end equals wrapping after every add.
    void accumulate_slice(int rows, int cols, const std::int8_t* a_column, int a_stride,
                          const std::int8_t* b_row, std::uint32_t* acc) const {
        for (int i = 0; i < rows; ++i) {
            std::int32_t a_value = a_column[static_cast<std::ptrdiff_t>(i) * a_stride];
            std::uint32_t* acc_row = acc + i * config_.size;
            for (int j = 0; j < cols; ++j)
                acc_row[j] += static_cast<std::uint32_t>(a_value * std::int32_t{b_row[j]});
        }
    }
};

// C[i][j] = wrap(sum_k A[i][k] * B[k][j]) with a 64-bit sum; no tiles, no cycle model.
class ReferenceBackend final : public CountingBackend {
public:
    explicit ReferenceBackend(const ArrayConfig& config) : CountingBackend(config) {}
    std::string name() const override { return "reference"; }

    void gemm(int m, int k, int n, const std::int8_t* a, const std::int8_t* b,
              std::int32_t* c) override {
        begin_gemm(m, k, n, a, b);
        for (int i = 0; i < m; ++i) {
            for (int j = 0; j < n; ++j) {
                std::int64_t sum = 0;
                for (int kk = 0; kk < k; ++kk)
                    sum += std::int64_t{a[static_cast<std::ptrdiff_t>(i) * k + kk]} *
                           b[static_cast<std::ptrdiff_t>(kk) * n + j];
                c[static_cast<std::ptrdiff_t>(i) * n + j] = wrap_to_width(sum, config_.acc_width);
            }
        }
    }

private:
};

} // namespace

std::unique_ptr<GemmBackend> make_tiled(const ArrayConfig& config) {
    return std::make_unique<TiledBackend>(config);
}

std::unique_ptr<GemmBackend> make_reference(const ArrayConfig& config) {
    return std::make_unique<ReferenceBackend>(config);
}

} // namespace detlab::accel::detail
