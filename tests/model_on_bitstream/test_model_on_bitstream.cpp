// Trained models on a real bitstream of the small configuration (2x2 array, HX1K): two briefly
// trained models run on the samples where they disagree, every product on the simulated
// netlist, and agree with the golden model logit for logit.
#include "harness/model_on_bitstream/model_on_bitstream.h"
#include "harness/toolchain/toolchain.h"
#include "harness/train/train.h"
#include "tests/equiv/scratch.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace detlab;

TEST_CASE("trained models run on a bitstream on the samples where they disagree") {
    Scratch scratch("equiv-models");
    db::Store store(scratch.dir / "runs.db");
    observation::Context context{&store, scratch.dir / "work", "test", nullptr};
    auto build = toolchain::run_build({{"seed", 1}}, 0, context);
    REQUIRE(build.status == db::kStatusDone);
    store.record_run(build);
    // Small, briefly trained models: two init seeds disagree on several test samples.
    auto train = [&](nlohmann::json config) {
        auto run = train::run_training(config, 0, context);
        REQUIRE(run.status == db::kStatusDone);
        store.record_run(run);
        return run.id;
    };
    std::vector<std::string> models{train({{"hidden", 8}, {"epochs", 2}, {"init_seed", 1}}),
                                    train({{"hidden", 8}, {"epochs", 2}, {"init_seed", 2}})};

    model_on_bitstream::ModelOptions options;
    options.samples = 6;
    options.pick = model_on_bitstream::SamplePick::disagreement;
    options.work_dir = scratch.dir / "sim";
    auto report = model_on_bitstream::run_models_on_bitstreams(store, models, {build.id}, options);
    REQUIRE_FALSE(report.split_disagreements.empty());
    CHECK(report.sample_indices.size() == 6);
    CHECK(std::is_sorted(report.sample_indices.begin(), report.sample_indices.end()));
    // The disagreeing samples lead: as many of them as fit are among the six.
    std::size_t included = 0;
    for (int index : report.split_disagreements)
        included += std::count(report.sample_indices.begin(), report.sample_indices.end(), index);
    CHECK(included == std::min<std::size_t>(report.split_disagreements.size(), 6));
    // In the batch of six the two models still disagree (quantisation scales are per batch, so
    // not necessarily on every one of them).
    REQUIRE(report.model_disagreements.size() == 1);
    CHECK(std::get<2>(report.model_disagreements[0]) >= 1);
    REQUIRE(report.results.size() == 2);
    for (const auto& r : report.results) {
        CHECK(r.logit_mismatches == 0); // the bitstream computes what the golden model does
        CHECK(r.prediction_mismatches == 0);
    }
    auto json = model_on_bitstream::to_json(report);
    CHECK(json["pick"] == "disagreement");
    CHECK(json["sample_indices"].size() == 6);
    auto run = model_on_bitstream::model_report_run(report, "test");
    CHECK(nlohmann::json::parse(run.config_json)["pick"] == "disagreement");

    // Sample by sample needs one test split: a model with a shorter one is bad input.
    models.push_back(train({{"hidden", 8}, {"epochs", 2}, {"test_size", 50}}));
    CHECK_THROWS_AS(
        model_on_bitstream::run_models_on_bitstreams(store, models, {build.id}, options),
        InputError);
}
