// The four matrix-product backends the model can train on.
#include "harness/train/kernels.h"
#include "harness/train/mlp.h"
#include "harness/train/thread_pool.h"
#include "harness/train/train.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace detlab::train {
namespace {

// fp32 with one fixed summation order: every C element adds its K products in ascending k.
class FloatMatmul : public MatmulBackend {
public:
    std::string name() const override { return "float"; }
    void multiply(int m, int k, int n, const float* a, const float* b, float* c) override {
        kernels::gemm(m, k, n, a, b, c);
        count(m, k, n);
    }
    void multiply_transposed_a(int m, int k, int n, const float* a, const float* b,
                               float* c) override {
        kernels::gemm_transposed_a(m, k, n, a, b, c);
        count(m, k, n);
    }
    accel::GemmStats stats() const override { return stats_; }

private:
    void count(int m, int k, int n) {
        stats_.gemms += 1;
        stats_.macs += static_cast<std::uint64_t>(m) * k * n;
    }
    accel::GemmStats stats_;
};

// fp32 with K split across worker threads, each adding its partial sums into C with an atomic
// compare-exchange as soon as a block of K is done, as GPU kernels do with atomicAdd. The order
// of the additions, and so the rounding of every sum, follows thread timing.
class AtomicFloatMatmul : public MatmulBackend {
public:
    explicit AtomicFloatMatmul(int threads) : pool_(threads) {}
    std::string name() const override { return "float-atomic"; }
    void multiply(int m, int k, int n, const float* a, const float* b, float* c) override {
        std::size_t cells = static_cast<std::size_t>(m) * n;
        std::fill(c, c + cells, 0.0f);
        int workers = pool_.size();
        pool_.run([&](int worker) {
            int begin = k * worker / workers, end = k * (worker + 1) / workers;
            std::vector<float> partial(cells);
            for (int block = begin; block < end; block += kBlock) {
                std::fill(partial.begin(), partial.end(), 0.0f);
                for (int i = 0; i < m; ++i)
                    for (int p = block; p < std::min(end, block + kBlock); ++p)
                        for (int j = 0; j < n; ++j)
                            partial[static_cast<std::size_t>(i) * n + j] +=
                                a[static_cast<std::size_t>(i) * k + p] *
                                b[static_cast<std::size_t>(p) * n + j];
                for (std::size_t cell = 0; cell < cells; ++cell)
                    atomic_add(c[cell], partial[cell]);
            }
        });
        stats_.gemms += 1;
        stats_.macs += static_cast<std::uint64_t>(m) * k * n;
    }
    accel::GemmStats stats() const override { return stats_; }

private:
    static constexpr int kBlock = 8;
    static void atomic_add(float& target, float value) {
        std::atomic_ref<float> cell(target);
        float seen = cell.load(std::memory_order_relaxed);
        while (!cell.compare_exchange_weak(seen, seen + value, std::memory_order_relaxed))
            ;
    }
    ThreadPool pool_;
    accel::GemmStats stats_;
};

// Operands quantised to int8 with a per-tensor max-abs scale (recomputed for every product, so
// small gradients keep their resolution), multiplied on the integer array, dequantised.
class QuantisedMatmul : public MatmulBackend {
public:
    QuantisedMatmul(std::unique_ptr<accel::GemmBackend> gemm, Rounding rounding,
                    std::uint64_t rounding_seed)
        : gemm_(std::move(gemm)), rounding_(rounding), rng_(rounding_seed) {
        auto config = gemm_->config();
        qmax_ = (1 << (config.width - 1)) - 1;
        // Longest K whose sum cannot wrap the accumulator, so the result never depends on
        // wrap-around and products of any K stay exact.
        max_chunk_ = static_cast<int>(((std::int64_t{1} << (config.acc_width - 1)) - 1) /
                                      (std::int64_t{qmax_} * qmax_));
    }
    std::string name() const override { return gemm_->name(); }
    void multiply(int m, int k, int n, const float* a, const float* b, float* c) override {
        double scale_a = quantise(a, static_cast<std::size_t>(m) * k, qa_);
        multiply_quantised_a(m, k, n, scale_a, b, c);
    }
    // Quantising is element by element against the max-abs of all of A, so A's levels stored
    // [k x m] are those of A transposed: quantise, then transpose one byte a level instead of
    // four. Stochastic rounding draws its numbers in the order of the elements quantised, so it
    // quantises the transposed copy as multiply() would.
    void multiply_transposed_a(int m, int k, int n, const float* a, const float* b,
                               float* c) override {
        if (rounding_ != Rounding::nearest) {
            MatmulBackend::multiply_transposed_a(m, k, n, a, b, c);
            return;
        }
        double scale_a = quantise(a, static_cast<std::size_t>(m) * k, qa_transposed_);
        qa_.resize(qa_transposed_.size());
        kernels::transpose_tiled(qa_transposed_.data(), static_cast<std::size_t>(k),
                                 static_cast<std::size_t>(m), qa_.data());
        multiply_quantised_a(m, k, n, scale_a, b, c);
    }
    accel::GemmStats stats() const override { return gemm_->stats(); }

private:
    // C = A * B with A already quantised into qa_ at scale_a.
    void multiply_quantised_a(int m, int k, int n, double scale_a, const float* b, float* c) {
        double scale_b = quantise(b, static_cast<std::size_t>(k) * n, qb_);
        std::size_t cells = static_cast<std::size_t>(m) * n;
        if (scale_a == 0 || scale_b == 0) {
            std::fill(c, c + cells, 0.0f);
            return;
        }
        double scale = scale_a * scale_b;
        if (k <= max_chunk_) {
            // One chunk (every forward product): its int32 sums are the int64 ones, and both
            // convert to the same double exactly.
            product_.resize(cells);
            gemm_->gemm(m, k, n, qa_.data(), qb_.data(), product_.data());
            kernels::dequantise_products(product_.data(), cells, scale, c);
            return;
        }
        sums_.assign(cells, 0);
        for (int start = 0; start < k; start += max_chunk_)
            accumulate_chunk(m, k, n, start, std::min(k - start, max_chunk_));
        kernels::dequantise(sums_.data(), cells, scale, c);
    }

    // Rounds values / scale to integers in [-qmax, qmax]; returns the scale (0 for all zeros).
    double quantise(const float* values, std::size_t count, std::vector<std::int8_t>& out) {
        // The largest magnitude as the largest bit pattern with the sign cleared: for floats >= 0
        // the integer order of the patterns is the numeric order, with infinity and then NaN
        // above every finite value, so this is the same max_abs as a float comparison gives, and
        // an integer maximum vectorises where a float one (without -ffast-math) does not.
        std::uint32_t max_bits = kernels::max_abs_bits(values, count);
        if (max_bits > std::bit_cast<std::uint32_t>(std::numeric_limits<float>::max()))
            throw std::runtime_error("non-finite value in a matrix product (training diverged)");
        auto max_abs = std::bit_cast<float>(max_bits);
        out.resize(count);
        if (max_abs == 0) {
            std::fill(out.begin(), out.end(), std::int8_t{0});
            return 0;
        }
        double scale = static_cast<double>(max_abs) / qmax_;
        if (rounding_ == Rounding::nearest) {
            quantise_nearest(values, count, scale, out);
        } else {
            for (std::size_t i = 0; i < count; ++i)
                out[i] = clamp_to_int8(
                    std::floor(static_cast<double>(values[i]) / scale + rng_.uniform()));
        }
        return scale;
    }

    // out[i] = round_half_even(values[i] / scale), clamped, bit for bit, without a division per
    // element (a double division was most of the golden backend's own time). The product q =
    // values[i] * (1 / scale) differs from the quotient by a few ulps: |quotient| <= qmax + 1 <
    // 2^8, so by less than 2^8 * 2^-52 * 4 = 2^-42. Rounding is monotonic, so the quotient's
    // integer lies between those of q - kMargin and q + kMargin (kMargin far wider than 2^-42);
    // where the two agree, that is it, and the rare element where they differ (q within kMargin
    // of a half-integer) is recomputed by the division. No reduction and no branch in the main
    // loop, so it vectorises (GCC 12 left every variant with a reduction in it scalar).
    void quantise_nearest(const float* values, std::size_t count, double scale,
                          std::vector<std::int8_t>& out) {
        constexpr double kMargin = 1e-9;
        double reciprocal = 1.0 / scale;
        uncertain_.resize(count);
        std::int8_t* uncertain = uncertain_.data();
        if (!kernels::quantise_nearest(values, count, reciprocal, kMargin, qmax_, out.data(),
                                       uncertain))
            return;
        for (std::size_t i = 0; i < count; ++i)
            if (uncertain[i] != 0)
                out[i] = clamp_to_int8(round_half_even(static_cast<double>(values[i]) / scale));
    }

    // nearbyint() in the default rounding mode, without the library call: adding and removing
    // 1.5 * 2^52 leaves x rounded to an integer, half to even, for |x| < 2^51 (here |x| <= qmax
    // + 1). Without -ffast-math (never used here) the compiler keeps both additions and can
    // vectorise them; the result is the same bit for bit.
    static double round_half_even(double x) {
        constexpr double shifter = 6755399441055744.0; // 1.5 * 2^52
        return (x + shifter) - shifter;
    }
    std::int8_t clamp_to_int8(double q) const {
        return static_cast<std::int8_t>(std::clamp(q, -double(qmax_), double(qmax_)));
    }

    // Adds A[:, start:start+len] * B[start:start+len, :] from the array into sums_.
    void accumulate_chunk(int m, int k, int n, int start, int len) {
        const std::int8_t* a = qa_.data() + start;
        if (len != k) {
            chunk_a_.resize(static_cast<std::size_t>(m) * len);
            for (int i = 0; i < m; ++i)
                std::copy_n(qa_.data() + static_cast<std::size_t>(i) * k + start, len,
                            chunk_a_.data() + static_cast<std::size_t>(i) * len);
            a = chunk_a_.data();
        }
        product_.resize(static_cast<std::size_t>(m) * n);
        gemm_->gemm(m, len, n, a, qb_.data() + static_cast<std::size_t>(start) * n,
                    product_.data());
        kernels::add_products(sums_.data(), product_.data(), product_.size());
    }

    std::unique_ptr<accel::GemmBackend> gemm_;
    Rounding rounding_;
    DeterministicRng rng_;
    int qmax_ = 127, max_chunk_ = 1;
    std::vector<std::int8_t> qa_, qb_, chunk_a_, qa_transposed_;
    std::vector<std::int8_t> uncertain_; // quantise_nearest: 1 where the product was near a tie
    std::vector<std::int32_t> product_;
    std::vector<std::int64_t> sums_;
};

} // namespace

void MatmulBackend::multiply_transposed_a(int m, int k, int n, const float* a, const float* b,
                                          float* c) {
    transpose(a, static_cast<std::size_t>(k), static_cast<std::size_t>(m), transposed_a_);
    multiply(m, k, n, transposed_a_.data(), b, c);
}

std::vector<std::string> matmul_backend_names() {
    return {"rtl", "golden", "tiled", "float", "float-atomic"};
}

std::unique_ptr<MatmulBackend> make_quantised_matmul(std::unique_ptr<accel::GemmBackend> gemm,
                                                     Rounding rounding,
                                                     std::uint64_t rounding_seed) {
    return std::make_unique<QuantisedMatmul>(std::move(gemm), rounding, rounding_seed);
}

std::unique_ptr<MatmulBackend> make_matmul(const MatmulOptions& options) {
    if (options.backend == "float")
        return std::make_unique<FloatMatmul>();
    if (options.backend == "float-atomic") {
        if (options.threads < 1)
            throw std::invalid_argument("float-atomic needs at least one thread");
        return std::make_unique<AtomicFloatMatmul>(options.threads);
    }
    if (options.backend == "rtl" || options.backend == "golden" || options.backend == "tiled")
        return make_quantised_matmul(
            accel::make_backend(options.backend, accel::ArrayConfig{options.array_size, 8, 24}),
            options.rounding, options.rounding_seed);
    throw std::invalid_argument("unknown matmul backend \"" + options.backend +
                                "\" (valid: rtl, golden, tiled, float, float-atomic)");
}

} // namespace detlab::train
