// Benchmark of all pairwise bitstream distances against a naive bit-by-bit loop.
#include "analysis/distance/distance.h"

#include <random>

namespace detlab::analysis {

// Bitstreams are perturbed copies of one random base (0 to 1% of their bits flipped), like the
// builds of one design, so the distances are small but non-zero.
DistanceBenchResult bench_distances(std::size_t bitstreams, std::size_t bytes_each,
                                    std::size_t baseline_pairs, std::uint64_t seed) {
    DeterministicRng rng(seed);
    Bytes base(bytes_each);
    for (auto& byte : base)
        byte = static_cast<std::uint8_t>(rng.next());
    std::vector<Bytes> data(bitstreams, base);
    for (std::size_t i = 0; i < bitstreams; ++i) {
        std::size_t flips = bytes_each * 8 / 100 * i / std::max<std::size_t>(bitstreams, 1);
        for (std::size_t f = 0; f < flips; ++f) {
            std::size_t bit = rng.below(bytes_each * 8);
            data[i][bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        }
    }
    std::vector<std::span<const std::uint8_t>> views(data.begin(), data.end());

    DistanceBenchResult r;
    r.bitstreams = bitstreams;
    r.bytes_each = bytes_each;
    r.pairs = bitstreams * (bitstreams - 1) / 2;
    double start = monotonic_seconds();
    PairwiseDistances d = pairwise_distances(views);
    r.seconds = monotonic_seconds() - start;
    r.pairs_per_s = r.seconds > 0 ? double(r.pairs) / r.seconds : 0;
    double sum = 0;
    for (double h : d.hamming)
        sum += h;
    r.mean_hamming = r.pairs ? sum / 2 / double(r.pairs) : 0;

    r.agree = true;
    start = monotonic_seconds();
    for (std::size_t i = 0; i < bitstreams && r.baseline_pairs < baseline_pairs; ++i)
        for (std::size_t j = i + 1; j < bitstreams && r.baseline_pairs < baseline_pairs; ++j) {
            BitDistance naive = bit_distance_naive(views[i], views[j]);
            r.agree = r.agree && naive.hamming() == d.hamming[i * bitstreams + j] &&
                      naive.jaccard() == d.jaccard[i * bitstreams + j];
            ++r.baseline_pairs;
        }
    r.baseline_seconds = monotonic_seconds() - start;
    r.baseline_pairs_per_s =
        r.baseline_seconds > 0 ? double(r.baseline_pairs) / r.baseline_seconds : 0;
    r.speedup = r.baseline_pairs_per_s > 0 ? r.pairs_per_s / r.baseline_pairs_per_s : 0;
    return r;
}

} // namespace detlab::analysis
