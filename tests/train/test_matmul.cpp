#include "harness/train/train.h"
#include "harness/util/util.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

using namespace detlab;
using namespace detlab::train;

namespace {

// Uniform in [-range, range) from the project's one RNG.
std::vector<float> random_matrix(std::size_t count, DeterministicRng& engine, float range = 1.0f) {
    std::vector<float> values(count);
    for (auto& value : values)
        value = static_cast<float>((2.0 * engine.uniform() - 1.0) * range);
    return values;
}

std::vector<double> exact_product(int m, int k, int n, const std::vector<float>& a,
                                  const std::vector<float>& b) {
    std::vector<double> c(static_cast<std::size_t>(m) * n, 0.0);
    for (int i = 0; i < m; ++i)
        for (int p = 0; p < k; ++p)
            for (int j = 0; j < n; ++j)
                c[static_cast<std::size_t>(i) * n + j] +=
                    double(a[static_cast<std::size_t>(i) * k + p]) *
                    b[static_cast<std::size_t>(p) * n + j];
    return c;
}

std::vector<float> multiply(MatmulBackend& backend, int m, int k, int n,
                            const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<float> c(static_cast<std::size_t>(m) * n, -1.0f);
    backend.multiply(m, k, n, a.data(), b.data(), c.data());
    return c;
}

MatmulOptions options_for(const std::string& backend, int array = 2) {
    MatmulOptions options;
    options.backend = backend;
    options.array_size = array;
    return options;
}

} // namespace

TEST_CASE("float backends agree with an exact product") {
    DeterministicRng engine(7);
    int m = 9, k = 37, n = 11;
    auto a = random_matrix(std::size_t(m) * k, engine),
         b = random_matrix(std::size_t(k) * n, engine);
    auto exact = exact_product(m, k, n, a, b);
    for (std::string name : {"float", "float-atomic"}) {
        auto backend = make_matmul(options_for(name));
        auto c = multiply(*backend, m, k, n, a, b);
        for (std::size_t i = 0; i < c.size(); ++i)
            CHECK(c[i] == Approx(exact[i]).margin(1e-5));
        CHECK(backend->stats().macs == std::uint64_t(m) * k * n);
        CHECK(backend->stats().cycles == 0);
    }
}

// The float backend is vectorised per ISA (harness/train/kernels.cpp): each element must still
// be the scalar loop's float sum, 0 plus its products in ascending k, bit for bit, on every shape
// (strips of 16 and 8 columns and the rest, blocks of 4 rows and the rest, K across blocks).
TEST_CASE("float is 0 plus the products in ascending k, bit for bit, transposed A too") {
    DeterministicRng engine(21);
    auto backend = make_matmul(options_for("float"));
    for (auto [m, k, n] : {std::tuple{1, 1, 1},
                           {9, 37, 11},
                           {33, 9, 8},
                           {5, 600, 37},
                           {72, 300, 16},
                           {6, 257, 25}}) {
        auto a = random_matrix(std::size_t(m) * k, engine),
             b = random_matrix(std::size_t(k) * n, engine);
        a[0] = -0.0f; // 0 + (-0 * x) is +0: the sum starts at 0, not at the first product
        std::vector<float> expected(std::size_t(m) * n), a_transposed(a.size());
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                float sum = 0.0f;
                for (int p = 0; p < k; ++p)
                    sum += a[std::size_t(i) * k + p] * b[std::size_t(p) * n + j];
                expected[std::size_t(i) * n + j] = sum;
            }
        for (int i = 0; i < m; ++i)
            for (int p = 0; p < k; ++p)
                a_transposed[std::size_t(p) * m + i] = a[std::size_t(i) * k + p];
        CHECK(multiply(*backend, m, k, n, a, b) == expected);
        std::vector<float> c(expected.size(), -1.0f);
        backend->multiply_transposed_a(m, k, n, a_transposed.data(), b.data(), c.data());
        CHECK(c == expected);
    }
}

TEST_CASE("float-atomic's sums are completion-order sums, and orders differ in rounding") {
    // The backend splits K into one contiguous range per worker and adds each block of 8
    // products into C as soon as it is done. With 2 workers and K = 32, C is 0 plus the four
    // block sums in some interleaving of (p0, p1) from worker 0 and (p2, p3) from worker 1.
    // Which interleaving happens is up to the scheduler, so the test does not wait to see two;
    // it enumerates every interleaving, requires that they round differently (the backend can
    // differ), and that every result the backend gives is one of them (it adds nothing else).
    int k = 32;
    std::vector<float> a(k, 0.0f), b(k, 1.0f);
    a[0] = 1e8f;   // p0
    a[8] = 1.0f;   // p1: lost beside 1e8
    a[16] = -1e8f; // p2
    a[24] = 1.0f;  // p3
    std::vector<float> block{a[0], a[8], a[16], a[24]};
    std::set<float> possible;
    std::vector<int> order{0, 0, 1, 1}; // which worker adds next
    do {
        int next[2] = {0, 2};
        float sum = 0.0f;
        for (int worker : order)
            sum += block[next[worker]++];
        possible.insert(sum);
    } while (std::next_permutation(order.begin(), order.end()));
    CHECK(possible == std::set<float>{1.0f, 2.0f});

    auto options = options_for("float-atomic");
    options.threads = 2;
    auto atomic = make_matmul(options);
    for (int attempt = 0; attempt < 50; ++attempt) {
        auto c = multiply(*atomic, 1, k, 1, a, b);
        INFO("attempt " << attempt << ": " << c[0]);
        CHECK(possible.contains(c[0]));
    }
    options.threads = 1; // one worker: one order, the float backend's ascending k
    auto single = make_matmul(options);
    auto ordered = make_matmul(options_for("float"));
    CHECK(multiply(*single, 1, k, 1, a, b) == std::vector<float>{1.0f});
    CHECK(multiply(*ordered, 1, k, 1, a, b) == std::vector<float>{1.0f});
}

TEST_CASE("int8-valued operands multiply exactly on the array, across the K chunk limit") {
    // Operands whose max-abs is 127 have scale 1, so quantisation is the identity; K = 1000 is
    // beyond the 520 products an AW=24 accumulator can hold without wrapping.
    DeterministicRng engine(3);
    int m = 5, k = 1000, n = 3;
    std::vector<float> a(std::size_t(m) * k), b(std::size_t(k) * n);
    for (auto& x : a)
        x = 127.0f;
    for (auto& x : b)
        x = float(-127 + static_cast<int>(engine.below(255))); // in [-127, 127]
    b[0] = -127.0f;
    auto exact = exact_product(m, k, n, a, b);
    auto golden = make_matmul(options_for("golden"));
    auto c = multiply(*golden, m, k, n, a, b);
    for (std::size_t i = 0; i < c.size(); ++i)
        CHECK(double(c[i]) == exact[i]);
    CHECK(golden->stats().macs == std::uint64_t(m) * k * n);
    CHECK(golden->stats().cycles > 0);
}

TEST_CASE("quantised products stay within the int8 rounding error") {
    DeterministicRng engine(11);
    int m = 16, k = 64, n = 10;
    auto a = random_matrix(std::size_t(m) * k, engine, 2.0f);
    auto b = random_matrix(std::size_t(k) * n, engine, 0.5f);
    auto exact = exact_product(m, k, n, a, b);
    for (Rounding rounding : {Rounding::nearest, Rounding::stochastic}) {
        auto options = options_for("golden");
        options.rounding = rounding;
        auto backend = make_matmul(options);
        auto c = multiply(*backend, m, k, n, a, b);
        // Each operand is off by at most one quantisation step (max-abs / 127).
        double bound = k * (2.0 * 0.5 / 127 + 0.5 * 2.0 / 127 + (2.0 / 127) * (0.5 / 127));
        double worst = 0;
        for (std::size_t i = 0; i < c.size(); ++i)
            worst = std::max(worst, std::fabs(c[i] - exact[i]));
        CHECK(worst > 0);
        CHECK(worst < bound);
    }
}

TEST_CASE("stochastic rounding follows its seed") {
    DeterministicRng engine(5);
    auto a = random_matrix(8 * 8, engine), b = random_matrix(8 * 8, engine);
    auto product = [&](std::uint64_t seed) {
        auto options = options_for("golden");
        options.rounding = Rounding::stochastic;
        options.rounding_seed = seed;
        auto backend = make_matmul(options);
        return multiply(*backend, 8, 8, 8, a, b);
    };
    CHECK(product(1) == product(1));
    CHECK(product(1) != product(2));
}

TEST_CASE("rtl, golden and tiled give bit-identical fp32 products") {
    DeterministicRng engine(9);
    for (int array : accel::rtl_array_sizes()) {
        for (Rounding rounding : {Rounding::nearest, Rounding::stochastic}) {
            auto golden_options = options_for("golden", array),
                 rtl_options = options_for("rtl", array),
                 tiled_options = options_for("tiled", array);
            golden_options.rounding = rtl_options.rounding = tiled_options.rounding = rounding;
            auto golden = make_matmul(golden_options), rtl = make_matmul(rtl_options),
                 tiled = make_matmul(tiled_options);
            for (auto [m, k, n] : {std::tuple{7, 64, 5}, {32, 10, 3}, {1, 600, 9}, {40, 784, 17}}) {
                auto a = random_matrix(std::size_t(m) * k, engine);
                auto b = random_matrix(std::size_t(k) * n, engine);
                auto expected = multiply(*tiled, m, k, n, a, b);
                CHECK(multiply(*golden, m, k, n, a, b) == expected);
                CHECK(multiply(*rtl, m, k, n, a, b) == expected);
                // A stored transposed: golden quantises it as stored and transposes the levels
                // (nearest), or quantises the transposed copy (stochastic, for its draw order).
                std::vector<float> a_transposed(a.size());
                for (int i = 0; i < m; ++i)
                    for (int p = 0; p < k; ++p)
                        a_transposed[std::size_t(p) * m + i] = a[std::size_t(i) * k + p];
                auto expected_again = multiply(*tiled, m, k, n, a, b);
                // (Each backend takes the same number of products, so their stochastic
                // rounding streams stay in step.)
                for (auto* backend : {golden.get(), rtl.get()}) {
                    std::vector<float> c(expected.size(), -1.0f);
                    backend->multiply_transposed_a(m, k, n, a_transposed.data(), b.data(),
                                                   c.data());
                    CHECK(c == expected_again);
                }
            }
            CHECK(rtl->stats().cycles > 0);
        }
    }
}

TEST_CASE("unknown backends are refused with the valid list") {
    CHECK_THROWS_WITH(make_matmul(options_for("gpu")),
                      Catch::Contains("rtl, golden, tiled, float, float-atomic"));
}

TEST_CASE("rounding to nearest sends ties to even, as nearbyint does") {
    // a's max-abs 127 gives scale 1, b = {1} gives 127 at scale 1/127: C is a as quantised.
    std::vector<float> a{127.0f, 2.5f, -3.5f, 0.5f, -0.5f, 1.5f, 126.49f}, b{1.0f};
    auto golden = make_matmul(options_for("golden"));
    auto c = multiply(*golden, 7, 1, 1, a, b);
    CHECK(c == std::vector<float>{127, 2, -4, 0, 0, 2, 126});
    for (std::size_t i = 0; i < a.size(); ++i)
        CHECK(c[i] == std::nearbyint(a[i]));
}

TEST_CASE("quantisation divides by the scale: a near-tie rounds as the division does") {
    // scale = max|a| / 127. For -2.375 at max|a| 4.75 the quotient is 63.49999999999999 (level
    // -63) where multiplying by the reciprocal gives -63.5 (level -64); for -3.375 at 6.75 it is
    // exactly -63.5 (level -64, to even) where the reciprocal gives -63.49999999999999. The same
    // product with the value replaced by one far from a tie at that level must equal it.
    struct Case {
        float max_abs, value;
        int level;
    };
    std::vector<float> b{1.0f};
    auto golden = make_matmul(options_for("golden"));
    for (auto [max_abs, value, level] : {Case{4.75f, -2.375f, -63}, Case{6.75f, -3.375f, -64}}) {
        CAPTURE(max_abs, value);
        float unambiguous = static_cast<float>(level * (static_cast<double>(max_abs) / 127));
        CHECK(multiply(*golden, 2, 1, 1, {max_abs, value}, b) ==
              multiply(*golden, 2, 1, 1, {max_abs, unambiguous}, b));
    }
}
