// The golden backend: the array's arithmetic computed by oneDNN's int8 GEMM. An int8 x int8
// product summed in 32-bit two's complement equals the AW-bit accumulator modulo 2^AW for any
// AW <= 32, so wrapping oneDNN's int32 result to AW bits is bit-exact with the array whatever
// the order of the additions. The tiled model (golden.cpp) stays the reference the RTL is
// compared with; tests/accel proves this backend equal to it, to rtl and to the naive loop.
#include "harness/accel/backends.h"

#include <mutex>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdexcept>

namespace detlab::accel::detail {
namespace {

// C = A * B in row-major int32, one thread: the caller's thread. oneDNN's OpenMP runtime would
// otherwise start a team per call, which is neither one core nor cheap for small products.
void onednn_gemm(int m, int k, int n, const std::int8_t* a, const std::int8_t* b, std::int32_t* c) {
    if (omp_get_max_threads() != 1)
        omp_set_num_threads(1); // per calling thread (an OpenMP ICV of its implicit task)
    const std::int32_t no_offset = 0;
    auto status =
        dnnl_gemm_s8s8s32('N', 'N', 'F', m, n, k, 1.0f, a, k, 0, b, n, 0, 0.0f, c, n, &no_offset);
    if (status != dnnl_success)
        throw std::runtime_error("oneDNN dnnl_gemm_s8s8s32 failed with status " +
                                 std::to_string(static_cast<int>(status)));
}

// Some oneDNN kernels (pre-VNNI x86 via vpmaddubsw) saturate intermediate 16-bit sums, which
// would silently break exactness. One product of extremes at start-up catches that: the backend
// refuses to run rather than be wrong.
void check_exact_once() {
    static std::once_flag once;
    static std::string problem;
    std::call_once(once, [] {
        constexpr int m = 3, k = 67, n = 5;
        std::vector<std::int8_t> a(m * k), b(k * n);
        for (std::size_t i = 0; i < a.size(); ++i)
            a[i] = i % 3 == 0 ? std::int8_t{-128} : std::int8_t{127};
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = i % 2 == 0 ? std::int8_t{-128} : std::int8_t{127};
        std::vector<std::int32_t> c(m * n);
        onednn_gemm(m, k, n, a.data(), b.data(), c.data());
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                std::int64_t sum = 0;
                for (int p = 0; p < k; ++p)
                    sum += std::int64_t{a[i * k + p]} * b[p * n + j];
                if (c[i * n + j] != sum)
                    problem = "oneDNN's int8 GEMM is not exact on this CPU (ISA " +
                              std::to_string(static_cast<int>(dnnl_get_effective_cpu_isa())) +
                              "); use the tiled backend";
            }
    });
    if (!problem.empty())
        throw std::runtime_error(problem);
}

class GoldenBackend final : public CountingBackend {
public:
    explicit GoldenBackend(const ArrayConfig& config) : CountingBackend(config) {
        check_exact_once();
    }
    std::string name() const override { return "golden"; }

    void gemm(int m, int k, int n, const std::int8_t* a, const std::int8_t* b,
              std::int32_t* c) override {
        begin_gemm(m, k, n, a, b);
        stats_.busy_mac_cycles = stats_.macs;
        stats_.cycles += gemm_cycles(config_, m, k, n);
        if (m == 0 || n == 0)
            return;
        std::size_t cells = static_cast<std::size_t>(m) * static_cast<std::size_t>(n);
        if (k == 0) {
            std::fill(c, c + cells, 0);
            return;
        }
        onednn_gemm(m, k, n, a, b, c);
        // wrap_to_width for every cell, as shifts the compiler vectorises: move the AW-bit
        // value to the top of a 32-bit word, then shift it back arithmetically (sign-extends).
        if (int unused = 32 - config_.acc_width; unused > 0)
            for (std::size_t i = 0; i < cells; ++i)
                c[i] =
                    static_cast<std::int32_t>(static_cast<std::uint32_t>(c[i]) << unused) >> unused;
    }
};

} // namespace

std::unique_ptr<GemmBackend> make_golden(const ArrayConfig& config) {
    return std::make_unique<GoldenBackend>(config);
}

std::string golden_library() {
    const dnnl_version_t* version = dnnl_version();
    std::string isa;
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_avx2:
        isa = "avx2";
        break;
    case dnnl_cpu_isa_avx2_vnni:
        isa = "avx2_vnni";
        break;
    case dnnl_cpu_isa_avx512_core:
        isa = "avx512_core";
        break;
    case dnnl_cpu_isa_avx512_core_vnni:
        isa = "avx512_core_vnni";
        break;
    case dnnl_cpu_isa_avx512_core_bf16:
        isa = "avx512_core_bf16 (with vnni)";
        break;
    case dnnl_cpu_isa_avx512_core_amx:
        isa = "avx512_core_amx";
        break;
    default:
        isa = "isa " + std::to_string(static_cast<int>(dnnl_get_effective_cpu_isa()));
    }
    return "oneDNN " + std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
           std::to_string(version->patch) + " dnnl_gemm_s8s8s32 on " + isa;
}

} // namespace detlab::accel::detail
