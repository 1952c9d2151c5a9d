// The training's inner loops, cloned per ISA (see kernels.h for why every clone gives the same
// bits).
#include "harness/train/kernels.h"

#include <algorithm>
#include <bit>
#include <cstring>

// One copy of the function for each of these, chosen by an ifunc resolver when the program loads.
#define DETLAB_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

namespace detlab::train::kernels {
namespace {

// W floats as one GCC vector (the clone's ISA picks the registers: one zmm for 16 under
// AVX-512, two ymm under AVX2, four xmm on the baseline). Its * and + are the IEEE operations
// element by element, as the scalar loop's are.
template <int W>
struct Lanes {
    typedef float type __attribute__((vector_size(W * sizeof(float))));
};
template <>
struct Lanes<1> {
    using type = float;
};

// C rows [i, i + R) x columns [j, j + W) += A's rows times B over p in [p0, p1), each element's
// products added in ascending p into the value C holds (0 before the first block of K). The
// accumulators are vectors the compiler keeps in registers; element (r, p) of A is
// a[r * row_step + p * p_step]. Inlined into each clone, so it is compiled for that ISA.
template <int R, int W>
[[gnu::always_inline]] inline void block(int p0, int p1, int n, const float* a,
                                         std::size_t row_step, std::size_t p_step, const float* b,
                                         float* c) {
    using V = typename Lanes<W>::type;
    V acc[R];
    for (int r = 0; r < R; ++r)
        std::memcpy(&acc[r], c + static_cast<std::size_t>(r) * n, sizeof(V));
    for (int p = p0; p < p1; ++p) {
        V b_row;
        std::memcpy(&b_row, b + static_cast<std::size_t>(p) * n, sizeof(V));
        for (int r = 0; r < R; ++r) {
            float scale = a[r * row_step + static_cast<std::size_t>(p) * p_step];
            acc[r] += scale * b_row;
        }
    }
    for (int r = 0; r < R; ++r)
        std::memcpy(c + static_cast<std::size_t>(r) * n, &acc[r], sizeof(V));
}

// All of C's columns for rows [i, i + R): strips of 16, then 8, then one at a time.
template <int R>
[[gnu::always_inline]] inline void row_block(int i, int p0, int p1, int n, const float* a,
                                             std::size_t row_step, std::size_t p_step,
                                             const float* b, float* c) {
    const float* a_rows = a + static_cast<std::size_t>(i) * row_step;
    float* c_rows = c + static_cast<std::size_t>(i) * n;
    int j = 0;
    for (; j + 16 <= n; j += 16)
        block<R, 16>(p0, p1, n, a_rows, row_step, p_step, b + j, c_rows + j);
    for (; j + 8 <= n; j += 8)
        block<R, 8>(p0, p1, n, a_rows, row_step, p_step, b + j, c_rows + j);
    for (; j < n; ++j)
        block<R, 1>(p0, p1, n, a_rows, row_step, p_step, b + j, c_rows + j);
}

// K in blocks, so that the part of A and B a block reads stays in cache while every row of C
// passes over it (the weight gradients have K = 25088 pixels); C carries each sum between
// blocks exactly, so the order of every element's additions is still ascending p.
[[gnu::always_inline]] inline void gemm_strided(int m, int k, int n, const float* a,
                                                std::size_t row_step, std::size_t p_step,
                                                const float* b, float* c) {
    constexpr int kRows = 4, kDepth = 256;
    std::fill(c, c + static_cast<std::size_t>(m) * n, 0.0f);
    for (int p0 = 0; p0 < k; p0 += kDepth) {
        int p1 = std::min(k, p0 + kDepth);
        int i = 0;
        for (; i + kRows <= m; i += kRows)
            row_block<kRows>(i, p0, p1, n, a, row_step, p_step, b, c);
        for (; i < m; ++i)
            row_block<1>(i, p0, p1, n, a, row_step, p_step, b, c);
    }
}

} // namespace

DETLAB_CLONES void gemm(int m, int k, int n, const float* a, const float* b, float* c) {
    gemm_strided(m, k, n, a, static_cast<std::size_t>(k), 1, b, c);
}

DETLAB_CLONES void gemm_transposed_a(int m, int k, int n, const float* a, const float* b,
                                     float* c) {
    gemm_strided(m, k, n, a, 1, static_cast<std::size_t>(m), b, c);
}

DETLAB_CLONES std::uint32_t max_abs_bits(const float* values, std::size_t count) {
    std::uint32_t max_bits = 0;
    for (std::size_t i = 0; i < count; ++i)
        max_bits = std::max(max_bits, std::bit_cast<std::uint32_t>(values[i]) & 0x7fffffffu);
    return max_bits;
}

DETLAB_CLONES bool quantise_nearest(const float* values, std::size_t count, double reciprocal,
                                    double margin, int qmax, std::int8_t* levels,
                                    std::int8_t* uncertain) {
    // nearbyint() in the default rounding mode, without the library call: adding and removing
    // 1.5 * 2^52 rounds x to an integer, half to even, for |x| < 2^51. Without -ffast-math
    // (never used here) the compiler keeps both additions.
    constexpr double shifter = 6755399441055744.0; // 1.5 * 2^52
    for (std::size_t i = 0; i < count; ++i) {
        double quotient = static_cast<double>(values[i]) * reciprocal;
        // Integer-valued and small, so converting to int first is exact, and an integer clamp
        // vectorises where a double one does not.
        auto low = static_cast<int>(((quotient - margin) + shifter) - shifter);
        auto high = static_cast<int>(((quotient + margin) + shifter) - shifter);
        levels[i] = static_cast<std::int8_t>(std::clamp(low, -qmax, qmax));
        uncertain[i] = static_cast<std::int8_t>(high - low);
    }
    int any = 0;
    for (std::size_t i = 0; i < count; ++i)
        any |= uncertain[i];
    return any != 0;
}

DETLAB_CLONES void add_products(std::int64_t* sums, const std::int32_t* products,
                                std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
        sums[i] += products[i];
}

DETLAB_CLONES void dequantise(const std::int64_t* sums, std::size_t count, double scale,
                              float* out) {
    for (std::size_t i = 0; i < count; ++i)
        out[i] = static_cast<float>(static_cast<double>(sums[i]) * scale);
}

DETLAB_CLONES void dequantise_products(const std::int32_t* products, std::size_t count,
                                       double scale, float* out) {
    for (std::size_t i = 0; i < count; ++i)
        out[i] = static_cast<float>(static_cast<double>(products[i]) * scale);
}

} // namespace detlab::train::kernels
