// Every distance and statistic on hand-made inputs with known answers.
#include "analysis/analysis.h"
#include "harness/util/util.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace detlab;
using namespace detlab::analysis;

namespace {

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
    DeterministicRng rng(seed);
    Bytes out(n);
    for (auto& b : out)
        b = static_cast<std::uint8_t>(rng.next());
    return out;
}

// A minimal iCE40 bitstream: comment, preamble, one CRAM bank of width x height bits, wake-up.
Bytes tiny_ice40(const Bytes& cram, std::uint16_t width, std::uint16_t height) {
    Bytes bin{0xFF, 0x00, 'h', 'i', 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E, 0x51, 0x00, 0x01, 0x05};
    std::uint16_t w = static_cast<std::uint16_t>(width - 1);
    Bytes commands{0x62,
                   std::uint8_t(w >> 8),
                   std::uint8_t(w),
                   0x72,
                   std::uint8_t(height >> 8),
                   std::uint8_t(height),
                   0x82,
                   0x00,
                   0x00,
                   0x11,
                   0x00,
                   0x01,
                   0x01};
    bin.insert(bin.end(), commands.begin(), commands.end());
    bin.insert(bin.end(), cram.begin(), cram.end());
    Bytes tail{0x00, 0x00, 0x22, 0x12, 0x34, 0x01, 0x06, 0x00};
    bin.insert(bin.end(), tail.begin(), tail.end());
    return bin;
}

Tensor logits_of(std::vector<std::vector<float>> rows) {
    Tensor t{"logits", {std::uint32_t(rows.size()), std::uint32_t(rows[0].size())}, {}};
    for (auto& r : rows)
        t.values.insert(t.values.end(), r.begin(), r.end());
    return t;
}

} // namespace

TEST_CASE("bit distance of identical, complementary and one-bit-apart inputs") {
    Bytes a = random_bytes(1003, 1); // not a multiple of 8: exercises the tail word
    BitDistance same = bit_distance(a, a);
    CHECK(same.differing_bits == 0);
    CHECK(same.total_bits == 8024);
    CHECK(same.hamming() == 0.0);
    CHECK(same.jaccard() == 0.0);

    Bytes inverted = a;
    for (auto& b : inverted)
        b = static_cast<std::uint8_t>(~b);
    BitDistance all = bit_distance(a, inverted);
    CHECK(all.differing_bits == 8024);
    CHECK(all.hamming() == 1.0);
    CHECK(all.set_both == 0);
    CHECK(all.jaccard() == 1.0);

    Bytes one = a;
    one[1002] ^= 0x80; // the last bit of the tail
    BitDistance d = bit_distance(a, one);
    CHECK(d.differing_bits == 1);
    CHECK(d.hamming() == Approx(1.0 / 8024));

    CHECK(bit_distance(Bytes{}, Bytes{}).hamming() == 0.0);
    CHECK(bit_distance(Bytes{}, Bytes{}).jaccard() == 0.0);
}

TEST_CASE("jaccard distance counts set bits only") {
    Bytes a{0b0000'1111}, b{0b0000'0011}; // A = 4 bits, B = 2 bits, both = 2
    BitDistance d = bit_distance(a, b);
    CHECK(d.set_a == 4);
    CHECK(d.set_b == 2);
    CHECK(d.jaccard() == Approx(0.5));
    CHECK(d.hamming() == Approx(2.0 / 8));
}

TEST_CASE("unequal lengths are zero-padded and the naive loop agrees") {
    Bytes a{0xFF, 0x01}, b{0xFF};
    BitDistance d = bit_distance(a, b);
    CHECK(d.total_bits == 16);
    CHECK(d.differing_bits == 1);
    for (std::size_t n : {1u, 7u, 8u, 9u, 64u, 1001u}) {
        Bytes x = random_bytes(n, n), y = random_bytes(n, n + 100);
        BitDistance fast = bit_distance(x, y), naive = bit_distance_naive(x, y);
        CHECK(fast.differing_bits == naive.differing_bits);
        CHECK(fast.set_both == naive.set_both);
        CHECK(fast.set_a == naive.set_a);
    }
}

TEST_CASE("pairwise distances match pair by pair") {
    std::vector<Bytes> data{random_bytes(5001, 1), random_bytes(5001, 2), random_bytes(5001, 1)};
    std::vector<std::span<const std::uint8_t>> views(data.begin(), data.end());
    PairwiseDistances d = pairwise_distances(views);
    REQUIRE(d.n == 3);
    CHECK(d.hamming[0 * 3 + 2] == 0.0);
    CHECK(d.hamming[0 * 3 + 1] == bit_distance(data[0], data[1]).hamming());
    CHECK(d.jaccard[1 * 3 + 0] == bit_distance(data[0], data[1]).jaccard());
    CHECK(d.hamming[1 * 3 + 1] == 0.0);
}

TEST_CASE("iCE40 payload excludes header, commands and CRC") {
    Bytes cram = random_bytes(16 * 8 / 8, 3); // width 16, height 8
    Bytes bin = tiny_ice40(cram, 16, 8);
    auto payload = ice40_config_payload(bin);
    REQUIRE(payload);
    CHECK(*payload == cram);

    Bytes other_crc = bin;
    other_crc[other_crc.size() - 5] ^= 0xFF; // CRC byte: not a configuration bit
    CHECK(bitstream_distance(bin, other_crc).bits.differing_bits == 0);
    CHECK(bitstream_distance(bin, other_crc).over == "cram+bram");

    Bytes flipped = cram;
    flipped[5] ^= 0x10;
    auto d = bitstream_distance(bin, tiny_ice40(flipped, 16, 8));
    CHECK(d.bits.differing_bits == 1);
    CHECK(d.bits.total_bits == 128);

    CHECK_FALSE(ice40_config_payload(random_bytes(500, 9)));
    CHECK(bitstream_distance(random_bytes(50, 1), random_bytes(50, 1)).over == "file");
    Bytes truncated(bin.begin(), bin.begin() + 30);
    CHECK_FALSE(ice40_config_payload(truncated));
}

TEST_CASE("weight distance: identical, one flipped bit, relative L2") {
    std::vector<Tensor> a{{"w1", {2, 2}, {1, 2, 3, 4}}, {"b1", {2}, {0, 0}}};
    WeightDistance same = weight_distance(a, a);
    CHECK(same.identical);
    CHECK(same.differing_bits == 0);
    CHECK(same.total_bits == 6 * 32);
    CHECK(same.relative_l2 == 0.0);

    auto b = a;
    b[0].values[3] = -4; // sign bit only
    WeightDistance one = weight_distance(a, b);
    CHECK_FALSE(one.identical);
    CHECK(one.differing_bits == 1);
    CHECK(one.differing_bit_fraction() == Approx(1.0 / 192));
    CHECK(one.relative_l2 == Approx(8.0 / std::sqrt(30.0)));

    std::vector<Tensor> reordered{a[1], a[0]};
    CHECK(weight_distance(a, reordered).identical);
    std::vector<Tensor> missing{a[0], {"b2", {2}, {0, 0}}};
    CHECK_THROWS_WITH(weight_distance(a, missing), Catch::Contains("b1"));
}

TEST_CASE("pearson correlation of known series") {
    std::vector<float> x{1, 2, 3, 4, 5}, y{2, 4, 6, 8, 10}, z{5, 4, 3, 2, 1};
    CHECK(pearson(x, y) == Approx(1.0));
    CHECK(pearson(x, z) == Approx(-1.0));
    std::vector<float> u{1, 2, 3}, v{1, 3, 2}; // r = 0.5
    CHECK(pearson(u, v) == Approx(0.5));
    std::vector<float> flat{3, 3, 3};
    CHECK(std::isnan(pearson(u, flat)));
}

TEST_CASE("disagreement, accuracy, cross-entropy and ensemble gain") {
    Tensor labels{"labels", {4}, {0, 1, 1, 0}};
    // Model a: right on samples 0,1,2; wrong on 3. Model b: right on 0,1,3; wrong on 2.
    Tensor a = logits_of({{2, 0}, {0, 2}, {0, 3}, {0, 1}});
    Tensor b = logits_of({{2, 0}, {0, 2}, {1, 0}, {3, 0}});
    CHECK(accuracy(a, labels) == Approx(0.75));
    CHECK(accuracy(b, labels) == Approx(0.75));
    LogitsComparison c = compare_logits(a, b, labels);
    CHECK(c.disagreement == Approx(0.5));
    // Ensemble: sample 2 mean softmax favours class 1 (a is confident), sample 3 favours 0.
    CHECK(c.ensemble_accuracy == Approx(1.0));
    CHECK(c.ensemble_gain == Approx(0.25));
    CHECK(compare_logits(a, a, labels).disagreement == 0.0);
    CHECK(compare_logits(a, a, labels).pearson == Approx(1.0));

    Tensor uniform = logits_of({{0, 0}, {0, 0}});
    Tensor two{"labels", {2}, {0, 1}};
    CHECK(cross_entropy(uniform, two) == Approx(std::log(2.0)));
}

TEST_CASE("equivalence output disagreement per vector") {
    Bytes a(4 * 6, 0), b = a; // 3 vectors of 2 int32 words
    CHECK(output_disagreement(a, b, 2) == 0.0);
    b[4 * 3] = 1; // vector 1 (words 2,3)
    CHECK(output_disagreement(a, b, 2) == Approx(1.0 / 3));
    CHECK(output_disagreement(a, b, 1) == Approx(1.0 / 6));
    CHECK(output_disagreement(a, Bytes(8, 0), 2) == 1.0);
}

TEST_CASE("summary statistics and seeded bootstrap intervals") {
    std::vector<double> v{2, 4, 4, 4, 5, 5, 7, 9};
    Summary s = summarize(v);
    CHECK(s.n == 8);
    CHECK(s.mean == Approx(5.0));
    CHECK(s.std == Approx(std::sqrt(32.0 / 7)));
    CHECK(s.cv == Approx(std::sqrt(32.0 / 7) / 5));
    CHECK(s.min == 2);
    CHECK(s.max == 9);
    std::vector<double> with_nan{1, std::nan(""), 3};
    CHECK(summarize(with_nan).n == 2);
    CHECK(summarize(with_nan).mean == Approx(2.0));
    CHECK(summarize(std::vector<double>{}).n == 0);

    BootstrapCI ci = bootstrap_ci(v);
    CHECK(ci.mean.low < 5.0);
    CHECK(ci.mean.high > 5.0);
    CHECK(ci.mean.low >= 2.0);
    CHECK(ci.mean.high <= 9.0);
    CHECK(ci.std.low <= s.std);
    BootstrapCI again = bootstrap_ci(v);
    CHECK(again.mean.low == ci.mean.low); // seeded: the same every time
    std::vector<double> constant{0.9, 0.9, 0.9};
    CHECK(bootstrap_ci(constant).mean.low == Approx(0.9));
    CHECK(bootstrap_ci(constant).std.high == 0.0);
}

TEST_CASE("the benchmark's fast and naive paths agree") {
    DistanceBenchResult r = bench_distances(6, 1000, 15, 3);
    CHECK(r.pairs == 15);
    CHECK(r.baseline_pairs == 15);
    CHECK(r.agree);
    CHECK(r.mean_hamming > 0);
    CHECK(r.mean_hamming < 0.02);
}
