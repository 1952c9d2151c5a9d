// Bit-level distances between bitstreams and the iCE40 .bin payload parser.
#include "analysis/distance/distance.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace detlab::analysis {
namespace {

// Word-wide counts over n bytes: Hamming bits, bits set in both, and set bits of each side.
struct WordCounts {
    std::uint64_t differ = 0, both = 0, set_a = 0, set_b = 0;
};

std::uint64_t load_word(const std::uint8_t* p) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    return word;
}

std::uint64_t load_tail(const std::uint8_t* p, std::size_t n) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, n);
    return word;
}

// Built twice on x86-64 (with and without the POPCNT instruction) and picked at load time, so
// the binary stays portable while modern CPUs count a word in one instruction.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DETLAB_POPCOUNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define DETLAB_POPCOUNT_CLONES
#endif

DETLAB_POPCOUNT_CLONES
WordCounts count_words(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
    WordCounts c;
    std::size_t words = n / 8;
    for (std::size_t i = 0; i < words; ++i) {
        std::uint64_t x = load_word(a + 8 * i), y = load_word(b + 8 * i);
        c.differ += static_cast<std::uint64_t>(std::popcount(x ^ y));
        c.both += static_cast<std::uint64_t>(std::popcount(x & y));
        c.set_a += static_cast<std::uint64_t>(std::popcount(x));
        c.set_b += static_cast<std::uint64_t>(std::popcount(y));
    }
    if (std::size_t rest = n % 8) {
        std::uint64_t x = load_tail(a + 8 * words, rest), y = load_tail(b + 8 * words, rest);
        c.differ += static_cast<std::uint64_t>(std::popcount(x ^ y));
        c.both += static_cast<std::uint64_t>(std::popcount(x & y));
        c.set_a += static_cast<std::uint64_t>(std::popcount(x));
        c.set_b += static_cast<std::uint64_t>(std::popcount(y));
    }
    return c;
}

// Only what a pair needs once each side's set bits are known: XOR and AND counts.
DETLAB_POPCOUNT_CLONES
void count_pair(const std::uint8_t* a, const std::uint8_t* b, std::size_t n, std::uint64_t& differ,
                std::uint64_t& both) {
    std::uint64_t d = 0, s = 0;
    std::size_t words = n / 8;
    for (std::size_t i = 0; i < words; ++i) {
        std::uint64_t x = load_word(a + 8 * i), y = load_word(b + 8 * i);
        d += static_cast<std::uint64_t>(std::popcount(x ^ y));
        s += static_cast<std::uint64_t>(std::popcount(x & y));
    }
    if (std::size_t rest = n % 8) {
        std::uint64_t x = load_tail(a + 8 * words, rest), y = load_tail(b + 8 * words, rest);
        d += static_cast<std::uint64_t>(std::popcount(x ^ y));
        s += static_cast<std::uint64_t>(std::popcount(x & y));
    }
    differ = d;
    both = s;
}

DETLAB_POPCOUNT_CLONES
std::uint64_t count_set(const std::uint8_t* a, std::size_t n) {
    std::uint64_t total = 0;
    std::size_t words = n / 8;
    for (std::size_t i = 0; i < words; ++i)
        total += static_cast<std::uint64_t>(std::popcount(load_word(a + 8 * i)));
    if (std::size_t rest = n % 8)
        total += static_cast<std::uint64_t>(std::popcount(load_tail(a + 8 * words, rest)));
    return total;
}

double jaccard_of(std::uint64_t set_a, std::uint64_t set_b, std::uint64_t both) {
    std::uint64_t either = set_a + set_b - both;
    return either == 0 ? 0.0 : 1.0 - static_cast<double>(both) / static_cast<double>(either);
}

} // namespace

double BitDistance::hamming() const {
    return total_bits == 0 ? 0.0
                           : static_cast<double>(differing_bits) / static_cast<double>(total_bits);
}

double BitDistance::jaccard() const {
    return jaccard_of(set_a, set_b, set_both);
}

BitDistance bit_distance(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    std::size_t common = std::min(a.size(), b.size());
    WordCounts c = count_words(a.data(), b.data(), common);
    // Zero padding: every set bit beyond the shorter input differs.
    std::uint64_t extra_a = count_set(a.data() + common, a.size() - common);
    std::uint64_t extra_b = count_set(b.data() + common, b.size() - common);
    BitDistance d;
    d.total_bits = 8 * static_cast<std::uint64_t>(std::max(a.size(), b.size()));
    d.differing_bits = c.differ + extra_a + extra_b;
    d.set_a = c.set_a + extra_a;
    d.set_b = c.set_b + extra_b;
    d.set_both = c.both;
    return d;
}

BitDistance bit_distance_naive(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    BitDistance d;
    std::size_t n = std::max(a.size(), b.size());
    d.total_bits = 8 * static_cast<std::uint64_t>(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::uint8_t x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
        for (int bit = 0; bit < 8; ++bit) {
            bool xa = (x >> bit) & 1, yb = (y >> bit) & 1;
            d.differing_bits += xa != yb;
            d.set_a += xa;
            d.set_b += yb;
            d.set_both += xa && yb;
        }
    }
    return d;
}

PairwiseDistances pairwise_distances(const std::vector<std::span<const std::uint8_t>>& vectors) {
    PairwiseDistances out;
    std::size_t n = out.n = vectors.size();
    out.hamming.assign(n * n, 0.0);
    out.jaccard.assign(n * n, 0.0);
    if (n == 0)
        return out;
    bool equal_length = std::all_of(vectors.begin(), vectors.end(),
                                    [&](const auto& v) { return v.size() == vectors[0].size(); });
    if (!equal_length) {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = i + 1; j < n; ++j) {
                BitDistance d = bit_distance(vectors[i], vectors[j]);
                out.hamming[i * n + j] = out.hamming[j * n + i] = d.hamming();
                out.jaccard[i * n + j] = out.jaccard[j * n + i] = d.jaccard();
            }
        return out;
    }
    // Cache blocking: all pairs over one chunk of every vector before the next chunk, so the
    // chunks of 200 HX8K bitstreams (200 x 2 KiB) stay in L2 instead of streaming from memory.
    constexpr std::size_t kChunk = 2048;
    std::size_t bytes = vectors[0].size();
    std::vector<std::uint64_t> set(n), differ(n * n, 0), both(n * n, 0);
    for (std::size_t i = 0; i < n; ++i)
        set[i] = count_set(vectors[i].data(), bytes);
    for (std::size_t offset = 0; offset < bytes; offset += kChunk) {
        std::size_t length = std::min(kChunk, bytes - offset);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = i + 1; j < n; ++j) {
                std::uint64_t d = 0, s = 0;
                count_pair(vectors[i].data() + offset, vectors[j].data() + offset, length, d, s);
                differ[i * n + j] += d;
                both[i * n + j] += s;
            }
    }
    double bits = 8.0 * static_cast<double>(bytes);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) {
            out.hamming[i * n + j] = out.hamming[j * n + i] =
                bits > 0 ? static_cast<double>(differ[i * n + j]) / bits : 0.0;
            out.jaccard[i * n + j] = out.jaccard[j * n + i] =
                jaccard_of(set[i], set[j], both[i * n + j]);
        }
    return out;
}

// iCE40 bitstream commands (Project IceStorm's format notes): after an optional comment
// (FF 00 ... 00 FF) and the preamble 7E AA 99 7E, each command byte holds an opcode in its
// high nibble and a payload length in its low nibble; the payload is a big-endian number.
// Opcode 0 with payload 1 (CRAM) or 3 (BRAM) is followed by width x height bits of data and
// two zero bytes; payload 6 is "wake up", the end of the configuration.
std::optional<Bytes> ice40_config_payload(std::span<const std::uint8_t> bin) {
    static constexpr std::uint8_t preamble[] = {0x7E, 0xAA, 0x99, 0x7E};
    auto start = std::search(bin.begin(), bin.end(), std::begin(preamble), std::end(preamble));
    if (start == bin.end())
        return std::nullopt;
    std::size_t pos = static_cast<std::size_t>(start - bin.begin()) + 4;
    std::size_t width = 0, height = 0;
    Bytes payload;
    bool any_data = false;
    while (pos < bin.size()) {
        std::uint8_t command = bin[pos++];
        unsigned opcode = command >> 4, length = command & 0x0Fu;
        if (pos + length > bin.size())
            return std::nullopt;
        std::size_t value = 0;
        for (unsigned i = 0; i < length; ++i)
            value = (value << 8) | bin[pos++];
        if (opcode == 0 && (value == 1 || value == 3)) {
            std::size_t bytes = width * height / 8;
            if (bytes == 0 || pos + bytes + 2 > bin.size())
                return std::nullopt;
            payload.insert(payload.end(), bin.begin() + static_cast<std::ptrdiff_t>(pos),
                           bin.begin() + static_cast<std::ptrdiff_t>(pos + bytes));
            pos += bytes + 2;
            any_data = true;
        } else if (opcode == 0 && value == 6) {
            return any_data ? std::optional<Bytes>(std::move(payload)) : std::nullopt;
        } else if (opcode == 6) {
            width = value + 1;
        } else if (opcode == 7) {
            height = value;
        } else if (opcode == 0 || opcode == 1 || opcode == 2 || opcode == 5 || opcode == 8 ||
                   opcode == 9) {
            // reset CRC, bank number, CRC check, oscillator, bank offset, flags: no data
        } else {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

BitstreamDistance bitstream_distance(std::span<const std::uint8_t> a,
                                     std::span<const std::uint8_t> b) {
    // issue 27: family: the payload of either family, compared only within one family.
    auto payload_a = config_payload(a);
    auto payload_b = config_payload(b);
    if (payload_a && payload_b && payload_a->over == payload_b->over &&
        payload_a->bits.size() == payload_b->bits.size())
        return {bit_distance(payload_a->bits, payload_b->bits), payload_a->over};
    return {bit_distance(a, b), "file"};
}

} // namespace detlab::analysis
