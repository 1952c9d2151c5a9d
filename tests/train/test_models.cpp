// Model options (depth, the CNN), the learning-rate schedule and Fashion-MNIST.
#include "harness/train/train.h"
#include "tests/skip.h"
#include "tests/train/run_access.h"

#include <catch2/catch.hpp>

using namespace detlab;
using namespace detlab::train;
using detlab::test::artifact;
using detlab::test::final_metric;

namespace {

std::string param(const db::RunResult& run, const std::string& key) {
    for (const auto& [name, value] : run.params)
        if (name == key)
            return value;
    return "(none)";
}

db::RunResult train_ok(const nlohmann::json& config) {
    auto run = run_training(config, 0, {});
    INFO(run.message);
    REQUIRE(run.status == "done");
    return run;
}

nlohmann::json small_cnn(const std::string& backend) {
    return {{"model", "cnn"},  {"backend", backend}, {"channels", 2},
            {"hidden", 8},     {"array", 2},         {"train_size", 48},
            {"test_size", 20}, {"epochs", 1},        {"batch_size", 16}};
}

bool fashion_mnist_installed() {
    try {
        fashion_mnist_files();
        return true;
    } catch (const std::runtime_error&) {
        return false;
    }
}

} // namespace

TEST_CASE("the CNN's products on rtl equal golden and tiled bit for bit") {
    for (std::string rounding : {"nearest", "stochastic"}) {
        auto config = small_cnn("rtl");
        config["rounding"] = rounding;
        auto rtl = train_ok(config);
        config["backend"] = "golden";
        auto golden = train_ok(config);
        config["backend"] = "tiled";
        auto tiled = train_ok(config);
        INFO("rounding " << rounding);
        CHECK(artifact(rtl, "weights.bin") == artifact(golden, "weights.bin"));
        CHECK(artifact(rtl, "test_logits.bin") == artifact(golden, "test_logits.bin"));
        CHECK(artifact(tiled, "weights.bin") == artifact(golden, "weights.bin"));
        CHECK(final_metric(rtl, "accel_cycles") == final_metric(golden, "accel_cycles"));
        // The convolutions are on the array too: far more MACs than the MLP head alone.
        CHECK(final_metric(rtl, "accel_macs") > 48 * 64 * 9 * 2);
    }
}

TEST_CASE("the CNN learns the digits and stores its convolutions as tensors") {
    auto run = train_ok({{"model", "cnn"}, {"backend", "float"}, {"epochs", 5}});
    INFO("cnn float, 5 epochs: " << final_metric(run, "final_test_accuracy"));
    CHECK(final_metric(run, "final_test_accuracy") >= 0.85);
    auto tensors = decode_tensors(artifact(run, "weights.bin"));
    REQUIRE(tensors.size() == 8);
    CHECK(tensors[0].name == "conv1_w");
    CHECK(tensors[0].shape == std::vector<std::uint32_t>{9, 8});
    CHECK(tensors[2].shape == std::vector<std::uint32_t>{72, 16});
    CHECK(tensors[4].name == "w1");
    CHECK(tensors[4].shape == std::vector<std::uint32_t>{16 * 2 * 2, 32});
    auto matmul = make_matmul({});
    std::vector<float> pixels(64, 0.5f);
    CHECK_THROWS_WITH(infer_logits(tensors, pixels.data(), 1, *matmul),
                      Catch::Contains("CNN") && Catch::Contains("MLPs only"));
}

TEST_CASE("a one-bit change in a CNN weight is a different run with its own weights") {
    auto base = small_cnn("golden"), flipped = small_cnn("golden");
    flipped["bit_flip"] = 3; // a first-convolution weight
    auto a = train_ok(base), b = train_ok(flipped);
    CHECK(a.id != b.id);
    // 9*2 + 18*4 + 16*8 + 8*10 weights: index 297 is the last, 298 is beyond.
    flipped["bit_flip"] = 297;
    train_ok(flipped);
    flipped["bit_flip"] = 298;
    CHECK_THROWS_WITH(run_training(flipped, 0, {}), Catch::Contains("beyond the model's 298"));
}

TEST_CASE("layers stacks hidden layers of the same width") {
    auto run = train_ok({{"layers", 3},
                         {"hidden", 12},
                         {"epochs", 1},
                         {"train_size", 64},
                         {"test_size", 20},
                         {"backend", "golden"}});
    auto tensors = decode_tensors(artifact(run, "weights.bin"));
    REQUIRE(tensors.size() == 8);
    CHECK(tensors[2].shape == std::vector<std::uint32_t>{12, 12});
    CHECK(tensors[6].shape == std::vector<std::uint32_t>{12, 10});
    CHECK_THROWS_WITH(
        run_training({{"layers", 3}, {"hidden", 12}, {"bit_flip", 64 * 12 + 288 + 120}}, 0, {}),
        Catch::Contains("beyond"));
}

TEST_CASE("the cosine schedule starts at the learning rate and then decays") {
    nlohmann::json config{{"epochs", 1}, {"train_size", 100}, {"test_size", 50}, {"hidden", 8}};
    auto constant = train_ok(config);
    config["lr_schedule"] = "cosine";
    auto cosine = train_ok(config);
    // One epoch: the whole run is at the starting rate, so the weights are the same.
    CHECK(artifact(constant, "weights.bin") == artifact(cosine, "weights.bin"));
    config["epochs"] = 3;
    auto decayed = train_ok(config);
    config["lr_schedule"] = "constant";
    CHECK(artifact(train_ok(config), "weights.bin") != artifact(decayed, "weights.bin"));
}

TEST_CASE("Fashion-MNIST loads once, whole, with its hash in the run's parameters") {
    if (!fashion_mnist_installed()) {
        detlab_skip("Fashion-MNIST is not installed (scripts/setup installs "
                    "dataset-fashion-mnist)");
    }
    nlohmann::json config{{"dataset", "fashion-mnist"}, {"train_size", 0}, {"test_size", 0}};
    auto first = shared_split(config), second = shared_split(config);
    CHECK(first.get() == second.get()); // one copy for every run that names this split
    CHECK(first->train.size() == 60000);
    CHECK(first->test.size() == 10000);
    CHECK(first->train.features == 784);
    CHECK(first->sha256.size() == 64);

    auto run = train_ok({{"dataset", "fashion-mnist"},
                         {"train_size", 600},
                         {"test_size", 200},
                         {"epochs", 1},
                         {"hidden", 16}});
    CHECK(param(run, "dataset_sha256") == first->sha256);
    CHECK(param(run, "dataset_train_samples") == "600");
    CHECK(final_metric(run, "final_test_accuracy") > 0.4); // ten classes: chance is 0.1
}

TEST_CASE("a stored MLP's weights give its stored test logits bit for bit through infer_logits") {
    nlohmann::json config{{"backend", "float"}, {"layers", 2},     {"hidden", 16},
                          {"train_size", 64},   {"test_size", 40}, {"epochs", 1},
                          {"batch_size", 16}};
    auto run = train_ok(config);
    auto weights = decode_tensors(artifact(run, "weights.bin"));
    auto stored = decode_tensors(artifact(run, "test_logits.bin"));
    auto split = load_split(nlohmann::json::parse(run.config_json));
    MatmulOptions float_backend;
    float_backend.backend = "float";
    auto matmul = make_matmul(float_backend);
    // One batch of 40 here, the trainer's evaluation batches of 256: the float product's
    // order per output does not depend on the batch, so the logits are the same bits.
    auto logits = infer_logits(weights, split.test.inputs.data(),
                               static_cast<int>(split.test.size()), *matmul);
    REQUIRE(stored.at(0).name == "logits");
    CHECK(logits == stored.at(0).values);

    auto broken = weights;
    broken.erase(broken.begin() + 1); // b1 gone
    CHECK_THROWS_WITH(infer_logits(broken, split.test.inputs.data(), 1, *matmul),
                      Catch::Contains("no tensor \"b1\""));
    broken = weights;
    broken.at(2).shape = {7, broken.at(2).shape.at(1)}; // w2's rows no longer chain from layer 1
    CHECK_THROWS_WITH(infer_logits(broken, split.test.inputs.data(), 1, *matmul),
                      Catch::Contains("layer 2: tensor shapes do not chain"));
}
