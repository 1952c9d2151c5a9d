// Private to harness/train: random numbers that are the same on every platform. The standard
// distributions (uniform_real_distribution, std::shuffle) are implementation-defined, so the
// conversions from the 64-bit engine output are spelled out here.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace detlab::train {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : engine_(seed) {}

    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

    // Uniform integer in [0, bound); the modulo bias is below 2^-40 for the bounds used here
    // (data set sizes).
    std::uint64_t below(std::uint64_t bound) { return engine_() % bound; }

private:
    std::mt19937_64 engine_;
};

// Fisher-Yates, from the last element down.
template <typename T>
void shuffle(std::vector<T>& items, Rng& rng) {
    for (std::size_t i = items.size(); i > 1; --i)
        std::swap(items[i - 1], items[rng.below(i)]);
}

} // namespace detlab::train
