// The CPU's peak int8 multiply-accumulate rate on one core, measured: the ceiling any int8 GEMM
// (and so the golden backend) can approach. A dependency-free stream of VNNI dot-product
// instructions on independent accumulators, nothing loaded from memory.
#include "harness/accel/accel.h"

#include <algorithm>
#include <cpuid.h>
#include <ctime>
#include <immintrin.h>

namespace detlab::accel {
namespace {

double thread_cpu_now() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

constexpr int kChains = 16;      // enough independent sums to hide the instruction's latency
constexpr long kRound = 1 << 17; // about 134 M MACs a round on 512 bits

// Each vpdpbusd on 512 bits does 16 lanes x 4 byte products: 64 MACs.
__attribute__((target("avx512f,avx512vnni"))) std::int32_t vnni512_round(std::int32_t seed) {
    __m512i acc[kChains];
    for (int c = 0; c < kChains; ++c)
        acc[c] = _mm512_set1_epi32(seed + c);
    __m512i x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(-5);
    for (long i = 0; i < kRound; ++i)
        for (int c = 0; c < kChains; ++c)
            acc[c] = _mm512_dpbusd_epi32(acc[c], x, y);
    __m512i total = acc[0];
    for (int c = 1; c < kChains; ++c)
        total = _mm512_add_epi32(total, acc[c]);
    // Summed by hand: GCC 12's _mm512_reduce_add_epi32 trips -Wuninitialized in its header.
    alignas(64) std::int32_t lanes[16];
    _mm512_store_si512(lanes, total);
    std::int32_t sum = 0;
    for (std::int32_t lane : lanes)
        sum += lane;
    return sum;
}

// AVX-VNNI (VEX, 256 bits): 8 lanes x 4 products, 32 MACs an instruction.
__attribute__((target("avx2,avxvnni"))) std::int32_t vnni256_round(std::int32_t seed) {
    __m256i acc[kChains];
    for (int c = 0; c < kChains; ++c)
        acc[c] = _mm256_set1_epi32(seed + c);
    __m256i x = _mm256_set1_epi8(3), y = _mm256_set1_epi8(-5);
    for (long i = 0; i < kRound; ++i)
        for (int c = 0; c < kChains; ++c)
            acc[c] = _mm256_dpbusd_avx_epi32(acc[c], x, y);
    __m256i total = acc[0];
    for (int c = 1; c < kChains; ++c)
        total = _mm256_add_epi32(total, acc[c]);
    alignas(32) std::int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), total);
    std::int32_t sum = 0;
    for (std::int32_t lane : lanes)
        sum += lane;
    return sum;
}

// AVX-VNNI (CPUID.(EAX=7,ECX=1):EAX bit 4), read directly: clang 14 does not know the
// "avxvnni" name of __builtin_cpu_supports. The avx2 check covers the OS saving ymm registers.
bool has_avx_vnni() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __builtin_cpu_supports("avx2") && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) &&
           (eax & (1u << 4)) != 0;
}

} // namespace

PeakRate peak_int8_rate(double min_seconds) {
    PeakRate peak;
    std::int32_t (*round)(std::int32_t) = nullptr;
    double macs_per_round = 0;
    if (__builtin_cpu_supports("avx512vnni")) {
        round = vnni512_round;
        macs_per_round = 64.0 * kChains * kRound;
        peak.instruction = "avx512-vnni vpdpbusd zmm";
    } else if (has_avx_vnni()) {
        round = vnni256_round;
        macs_per_round = 32.0 * kChains * kRound;
        peak.instruction = "avx-vnni vpdpbusd ymm";
    } else {
        peak.instruction = "not measured (no VNNI on this CPU)";
        return peak;
    }
    // The best round, not the mean: on a shared machine a round that loses the core to another
    // process only looks slower, never faster, so the fastest one is closest to the limit.
    // The sink adds in uint32 (wrapping), not int32, whose overflow would be undefined.
    volatile std::uint32_t sink = static_cast<std::uint32_t>(round(1)); // warm-up: clocks up
    double start = thread_cpu_now(), best = 0;
    long rounds = 0;
    do {
        double round_start = thread_cpu_now();
        sink = sink + static_cast<std::uint32_t>(round(static_cast<std::int32_t>(rounds)));
        double elapsed = thread_cpu_now() - round_start;
        if (elapsed > 0)
            best = std::max(best, macs_per_round / elapsed);
        ++rounds;
    } while (thread_cpu_now() - start < min_seconds || rounds < 3);
    peak.macs_per_second = best;
    return peak;
}

} // namespace detlab::accel
