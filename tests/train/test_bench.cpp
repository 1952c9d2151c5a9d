// `detlab bench train`'s measurements (train::bench_training), on a tiny configuration: the
// figures are timings, so only their structure and the baseline's place are checked.
#include "harness/train/train.h"

#include <catch2/catch.hpp>

using namespace detlab;

TEST_CASE("the training benchmark runs the tiled baseline first and gives every ratio a base") {
    train::TrainBenchOptions options;
    options.backends = {"float", "golden"}; // tiled joins by itself, first
    options.datasets = {"digits"};
    options.epochs = 1;
    options.hidden = 8;
    options.array = 2;
    options.train_size = 64;
    options.gemm_seconds = 0.001;
    auto bench = train::bench_training(options);
    REQUIRE(bench.training.size() == 3);
    CHECK(bench.training[0].backend == train::kBenchBaseline);
    for (const auto& row : bench.training) {
        INFO(row.backend);
        CHECK(row.measured);
        CHECK(row.epoch_s > 0);
        CHECK(row.accuracy > 0);
    }
    CHECK(bench.epoch_baseline("digits") == bench.training[0].epoch_s);
    CHECK(bench.epoch_baseline("fashion-mnist") == 0); // not run: no base, never a made-up one
    // The raw GEMM rows: golden and tiled (float is not an integer backend) on two shapes.
    REQUIRE(bench.gemm.size() == 4);
    CHECK(bench.gemm_baseline("32x784x32") > 0);

    options.datasets = {"digits", "cifar"};
    CHECK_THROWS_AS(train::bench_training(options), InputError);
}
