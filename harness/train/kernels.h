// The training's inner loops, each compiled for x86-64-v4 (AVX-512), x86-64-v3 (AVX2) and the
// baseline and picked at load time by the CPU (GCC target_clones). Private to harness/train.
//
// Every kernel gives the same result bit for bit on every one of those ISAs: each floating-point
// value is one IEEE operation (a product, a sum, a conversion) applied in the order the scalar
// loop would apply it, only several elements at a time; the module is compiled with
// -ffp-contract=off, so no product and sum become one fused multiply-add.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace detlab::train::kernels {

// C [m x n] = A [m x k] * B [k x n], row-major; every element is 0 plus its k products in
// ascending k, each product rounded to float before it is added.
void gemm(int m, int k, int n, const float* a, const float* b, float* c);

// C [m x n] = transpose(A) * B with A stored [k x m]: the same sums, in the same order, as
// gemm() on A transposed, without the copy.
void gemm_transposed_a(int m, int k, int n, const float* a, const float* b, float* c);

// The largest of the values' bit patterns with the sign bit cleared (for floats >= 0 the integer
// order of the patterns is the numeric order, infinity and then NaN above every finite value).
std::uint32_t max_abs_bits(const float* values, std::size_t count);

// levels[i] = round_half_even(values[i] * reciprocal - margin) clamped to [-qmax, qmax], and
// uncertain[i] = 1 where rounding values[i] * reciprocal + margin gives another integer (|values
// * reciprocal| <= qmax + 1). Returns whether any element is uncertain.
bool quantise_nearest(const float* values, std::size_t count, double reciprocal, double margin,
                      int qmax, std::int8_t* levels, std::int8_t* uncertain);

// sums[i] += products[i].
void add_products(std::int64_t* sums, const std::int32_t* products, std::size_t count);

// out[i] = float(double(sums[i]) * scale).
void dequantise(const std::int64_t* sums, std::size_t count, double scale, float* out);

// out[i] = float(double(products[i]) * scale).
void dequantise_products(const std::int32_t* products, std::size_t count, double scale, float* out);

// dst [cols x rows] = transpose(src [rows x cols]) for floats and int8 levels alike: in square
// tiles, so that both the rows read and the rows written stay in cache (the CNN's im2col matrix
// has 25088 rows); a copy, so the result is the same in any order.
template <typename T>
void transpose_tiled(const T* src, std::size_t rows, std::size_t cols, T* dst) {
    constexpr std::size_t kTile = 32;
    for (std::size_t r0 = 0; r0 < rows; r0 += kTile)
        for (std::size_t c0 = 0; c0 < cols; c0 += kTile) {
            std::size_t r_end = std::min(rows, r0 + kTile), c_end = std::min(cols, c0 + kTile);
            for (std::size_t r = r0; r < r_end; ++r)
                for (std::size_t c = c0; c < c_end; ++c)
                    dst[c * rows + r] = src[r * cols + c];
        }
}

} // namespace detlab::train::kernels
