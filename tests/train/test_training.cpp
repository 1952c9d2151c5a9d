#include "harness/process/process.h"
#include "harness/train/train.h"
#include "tests/train/run_access.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <set>

using namespace detlab;
using namespace detlab::train;
using detlab::test::artifact;
using detlab::test::final_metric;

namespace {

// A short training that still exercises every product: 240 samples, 2 epochs.
nlohmann::json short_config(const std::string& backend) {
    return {{"backend", backend}, {"train_size", 240}, {"test_size", 100}, {"epochs", 2},
            {"hidden", 16},       {"array", 2},        {"batch_size", 16}};
}

db::RunResult train_ok(const nlohmann::json& config, int repeat = 0) {
    auto run = run_training(config, repeat, {});
    INFO(run.message);
    REQUIRE(run.status == "done");
    return run;
}

} // namespace

TEST_CASE("rtl and golden train bit-identical weights from the same seeds") {
    for (std::string rounding : {"nearest", "stochastic"}) {
        auto golden_config = short_config("golden"), rtl_config = short_config("rtl");
        golden_config["rounding"] = rtl_config["rounding"] = rounding;
        auto golden = train_ok(golden_config), rtl = train_ok(rtl_config);
        CHECK(golden.id != rtl.id);
        CHECK(artifact(golden, "weights.bin") == artifact(rtl, "weights.bin"));
        CHECK(artifact(golden, "test_logits.bin") == artifact(rtl, "test_logits.bin"));
        CHECK(final_metric(rtl, "accel_cycles") > 0);
        CHECK(final_metric(rtl, "accel_utilisation") > 0);
        CHECK(final_metric(rtl, "accel_utilisation") <= 1);
    }
}

TEST_CASE("repeats are bit-identical on rtl, golden and float") {
    for (std::string backend : {"rtl", "golden", "float"}) {
        auto first = train_ok(short_config(backend), 0),
             second = train_ok(short_config(backend), 1);
        INFO(backend);
        CHECK(first.id != second.id);
        CHECK(first.config_json == second.config_json);
        CHECK(artifact(first, "weights.bin") == artifact(second, "weights.bin"));
        CHECK(artifact(first, "test_logits.bin") == artifact(second, "test_logits.bin"));
    }
}

TEST_CASE("float-atomic with one thread is bit-identical between repeats") {
    // With two or more threads the order of the sums follows the scheduler; test_train_matmul
    // shows which results that order can give without depending on thread timing.
    auto config = short_config("float-atomic");
    config["threads"] = 1;
    auto first = train_ok(config, 0), second = train_ok(config, 1);
    CHECK(artifact(first, "weights.bin") == artifact(second, "weights.bin"));
}

TEST_CASE("golden reaches 90% test accuracy on the digits with the default model") {
    auto run = train_ok(nlohmann::json::object());
    auto accuracy = final_metric(run, "final_test_accuracy");
    INFO("golden, hidden 32, 20 epochs: test accuracy " << accuracy);
    CHECK(accuracy >= 0.90);
}

TEST_CASE("rtl passes 90% within 20 epochs and float 95% at 20 epochs") {
    // rtl gives golden's weights bit for bit, so a few epochs suffice to show its accuracy.
    auto rtl = train_ok({{"backend", "rtl"}, {"epochs", 5}});
    INFO("rtl, hidden 32, 5 epochs: " << final_metric(rtl, "final_test_accuracy"));
    CHECK(final_metric(rtl, "final_test_accuracy") >= 0.90);
    auto fp32 = train_ok({{"backend", "float"}});
    INFO("float, hidden 32, 20 epochs: " << final_metric(fp32, "final_test_accuracy"));
    CHECK(final_metric(fp32, "final_test_accuracy") >= 0.95);
}

TEST_CASE("a run records curves, weights and logits in the documented formats") {
    auto run = train_ok(short_config("golden"));
    auto config = complete_config(config_keys(), short_config("golden"), "test");
    CHECK(run.kind == "train");
    CHECK(run.config_json == config.dump());
    CHECK(run.id.size() == 16);
    CHECK(run.config_id == configuration_id(config));
    CHECK(run.provenance.at("input:dataset/digits.csv.gz") == kDigitsSha256);
    // Every key, and what the data set was: its hash and the samples used.
    CHECK(run.params.size() == config_keys().size() + 3);
    auto param = [&](const std::string& key) {
        for (const auto& [name, value] : run.params)
            if (name == key)
                return value;
        return std::string("(none)");
    };
    CHECK(param("dataset_sha256") == kDigitsSha256);
    CHECK(param("dataset_train_samples") == "240");
    CHECK(run.provenance.count("train.init_seed") == 1);
    int per_epoch = 0;
    for (const auto& m : run.metrics)
        per_epoch += m.step > 0;
    CHECK(per_epoch == 4 * 2);
    for (const char* key : {"final_test_loss", "accel_macs", "wall_s", "epoch_wall_s"})
        CHECK(final_metric(run, key) > 0);

    auto weights = decode_tensors(artifact(run, "weights.bin"));
    REQUIRE(weights.size() == 4);
    CHECK(weights[0].name == "w1");
    CHECK(weights[0].shape == std::vector<std::uint32_t>{64, 16});
    CHECK(weights[3].name == "b2");
    CHECK(weights[3].shape == std::vector<std::uint32_t>{10});
    auto logits = decode_tensors(artifact(run, "test_logits.bin"));
    REQUIRE(logits.size() == 2);
    CHECK(logits[0].shape == std::vector<std::uint32_t>{100, 10});
    CHECK(logits[1].name == "labels");

    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / "train";
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir / "record.db");
    db::Store store(dir / "record.db");
    store.record_run(run);
    CHECK(store.run_done(run.id));
    CHECK(store.artifact_bytes(run.id, "weights.bin") == artifact(run, "weights.bin"));
}

TEST_CASE("seeds and the bit flip are separate sources of variation") {
    auto base = train_ok(short_config("float"));
    auto weights = [](const db::RunResult& run) {
        return artifact(run, "weights.bin");
    };
    auto config = short_config("float");
    config["shuffle_seed"] = 77;
    CHECK(weights(train_ok(config)) != weights(base));
    config = short_config("float");
    config["bit_flip"] = 5;
    auto flipped = train_ok(config);
    CHECK(weights(flipped) != weights(base));
    // An explicit seed equal to the derived one trains the same model: 0 only means "derive".
    config = short_config("float");
    config["init_seed"] = std::stoull(base.provenance.at("train.init_seed"));
    CHECK(weights(train_ok(config)) == weights(base));
}

TEST_CASE("the bit flip changes exactly the lowest bit of one initial weight") {
    // With learning rate 0 the stored weights are the initial ones.
    auto config = short_config("float");
    config["learning_rate"] = 0;
    config["epochs"] = 1;
    auto base = decode_tensors(artifact(train_ok(config), "weights.bin"));
    config["bit_flip"] = 64 * 16 + 3; // w2[0][3]: indices run through w1, then w2
    auto flipped = decode_tensors(artifact(train_ok(config), "weights.bin"));
    REQUIRE(base.size() == flipped.size());
    int differing = 0;
    for (std::size_t t = 0; t < base.size(); ++t)
        for (std::size_t i = 0; i < base[t].values.size(); ++i) {
            std::uint32_t a, b;
            std::memcpy(&a, &base[t].values[i], 4);
            std::memcpy(&b, &flipped[t].values[i], 4);
            if (a != b) {
                ++differing;
                CHECK(base[t].name == "w2");
                CHECK(i == 3);
                CHECK((a ^ b) == 1u);
            }
        }
    CHECK(differing == 1);
    // He-uniform initialisation: |w1| <= sqrt(6 / 64).
    for (float w : base[0].values)
        CHECK(std::fabs(w) <= std::sqrt(6.0f / 64));
}

TEST_CASE("on an integer backend the fp32 bit flip is quantised away, the weight step is not") {
    // Every product sees the same int8 operands, so the logits are the same; the fp32 master
    // weight may keep its flipped bit to the end or lose it in an update's rounding.
    auto base = train_ok(short_config("golden"));
    auto config = short_config("golden");
    config["bit_flip"] = 100;
    CHECK(artifact(train_ok(config), "test_logits.bin") == artifact(base, "test_logits.bin"));
    config = short_config("golden");
    config["weight_step"] = 100;
    auto stepped = train_ok(config);
    CHECK(artifact(stepped, "test_logits.bin") != artifact(base, "test_logits.bin"));
    CHECK(artifact(stepped, "weights.bin") != artifact(base, "weights.bin"));
}

TEST_CASE("the weight step moves one initial weight one int8 level toward zero") {
    auto config = short_config("float");
    config["learning_rate"] = 0;
    config["epochs"] = 1;
    auto base = decode_tensors(artifact(train_ok(config), "weights.bin"));
    config["weight_step"] = 7;
    auto stepped = decode_tensors(artifact(train_ok(config), "weights.bin"));
    REQUIRE(base.size() == stepped.size());
    float max_abs = 0;
    for (float w : base[0].values)
        max_abs = std::max(max_abs, std::fabs(w));
    int differing = 0;
    for (std::size_t t = 0; t < base.size(); ++t)
        for (std::size_t i = 0; i < base[t].values.size(); ++i)
            if (base[t].values[i] != stepped[t].values[i]) {
                ++differing;
                CHECK(base[t].name == "w1");
                CHECK(i == 7);
                float a = base[t].values[i], b = stepped[t].values[i];
                CHECK(std::fabs(a) - std::fabs(b) == Approx(max_abs / 127).epsilon(1e-4));
                CHECK(std::lround(a * 127 / max_abs) - std::lround(b * 127 / max_abs) ==
                      (a > 0 ? 1 : -1));
            }
    CHECK(differing == 1);
}

TEST_CASE("a cancelled run is reported failed with nothing half-recorded") {
    std::atomic<bool> cancel{true};
    observation::Context context;
    context.cancel = &cancel;
    auto run = run_training(short_config("golden"), 0, context);
    CHECK(run.status == "failed");
    CHECK(run.message == "cancelled");
    CHECK(run.metrics.empty());
    CHECK(run.artifacts.empty());
}

TEST_CASE("bad configurations are input errors") {
    CHECK_THROWS_AS(run_training({{"backend", "gpu"}}, 0, {}), InputError);
    CHECK_THROWS_WITH(run_training({{"hiden", 3}}, 0, {}), Catch::Contains("hiden: unknown key"));
    CHECK_THROWS_WITH(run_training({{"array", 3}}, 0, {}), Catch::Contains("array"));
    CHECK_THROWS_WITH(run_training({{"bit_flip", 64 * 32 + 32 * 10}}, 0, {}),
                      Catch::Contains("bit_flip: index 2368 is beyond the model's 2368 weights"));
    CHECK_THROWS_WITH(
        run_training({{"weight_step", 64 * 32 + 32 * 10}}, 0, {}),
        Catch::Contains("weight_step: index 2368 is beyond the model's 2368 weights"));
}

TEST_CASE("detlab train records a run and prints the last epoch and the hashes", "[cli]") {
    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / "train";
    std::filesystem::create_directories(dir);
    auto db_path = dir / "cli.db";
    std::filesystem::remove(db_path);
    auto detlab = [](std::vector<std::string> args) {
        process::Spec spec;
        spec.argv = {DETLAB_BINARY};
        spec.argv.insert(spec.argv.end(), args.begin(), args.end());
        spec.timeout = std::chrono::seconds(120);
        return process::run(spec);
    };
    auto result =
        detlab({"train", "--backend", "golden", "--array", "2", "--epochs", "2", "--train-size",
                "200", "--test-size", "50", "--init-seed", "3", "--db", db_path.string()});
    REQUIRE(result.ok());
    CHECK_THAT(result.out + result.err, Catch::Contains("epoch 2/2") &&
                                            Catch::Contains("test_acc") &&
                                            Catch::Contains("weights.bin      sha256 ") &&
                                            Catch::Contains("test_logits.bin  sha256 "));
    db::Store store(db_path);
    REQUIRE(store.runs().size() == 1);
    CHECK(store.runs()[0].kind == "train");

    result = detlab({"train", "--hidden", "0", "--db", db_path.string()});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("hidden") && Catch::Contains("out of range"));
    result = detlab({"train", "--epochs", "two"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("--epochs: \"two\" is not an integer"));
}

TEST_CASE("detlab train refuses bad input before it creates the database", "[cli]") {
    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / "train-refused";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto db_path = dir / "new.db";
    auto detlab = [&](std::vector<std::string> args) {
        process::Spec spec;
        spec.argv = {DETLAB_BINARY};
        spec.argv.insert(spec.argv.end(), args.begin(), args.end());
        spec.cwd = dir;
        spec.timeout = std::chrono::seconds(120);
        return process::run(spec);
    };
    // Every key is in range, but the index is beyond the model's weights: only the training's
    // own check knows, and it must run before the store is created.
    auto result = detlab({"train", "--bit-flip", "99999999", "--db", db_path.string()});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("bit_flip: index 99999999 is beyond the model's"));
    CHECK_FALSE(std::filesystem::exists(db_path));
    // The same for `detlab run` given a malformed vector count in the environment: refused
    // once, up front, rather than failing every build of the sweep.
    write_file(dir / "exp.toml", "[experiment]\ndomains = [\"train\"]\n[train]\nepochs = 1\n");
    process::Spec run;
    run.argv = {DETLAB_BINARY, "run", "exp.toml", "--db", db_path.string()};
    run.cwd = dir;
    run.set_env = {{"DETLAB_EQUIV_VECTORS", "many"}};
    run.timeout = std::chrono::seconds(120);
    auto swept = process::run(run);
    CHECK(swept.exit_code == 2);
    CHECK_THAT(swept.err, Catch::Contains("DETLAB_EQUIV_VECTORS") && Catch::Contains("'many'"));
    CHECK_FALSE(std::filesystem::exists(db_path));
    CHECK_FALSE(std::filesystem::exists(dir / "new.db.work"));
}
