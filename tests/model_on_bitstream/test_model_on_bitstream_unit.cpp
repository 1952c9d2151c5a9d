// The model-on-bitstream report's pure part: a hand-built report turned into its stored run.
#include "harness/model_on_bitstream/model_on_bitstream.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace detlab;

TEST_CASE("a model report becomes one canonical model_on_bitstream run") {
    auto result = [](std::string train, std::string toolchain, std::vector<int> predictions,
                     int mismatches) {
        model_on_bitstream::ModelResult r;
        r.train_run = std::move(train);
        r.toolchain_run = std::move(toolchain);
        r.labels = {0, 1, 2, 3};
        r.golden_predictions = predictions;
        r.netlist_predictions = predictions;
        r.prediction_mismatches = mismatches;
        r.logit_mismatches = mismatches * 3;
        return r;
    };
    // Runs given in unsorted order: the id must not depend on it.
    model_on_bitstream::ModelReport report;
    report.samples = 4;
    report.results = {result("tB", "bZ", {0, 1, 2, 3}, 0), result("tB", "bY", {0, 1, 2, 3}, 0),
                      result("tA", "bZ", {0, 1, 1, 1}, 1), result("tA", "bY", {0, 1, 1, 1}, 0)};
    report.model_disagreements = {{"tB", "tA", 2}};
    report.identical_across_bitstreams = {{"tB", true}, {"tA", true}};

    auto run = model_on_bitstream::model_report_run(report, "exp");
    CHECK(run.kind == "model_on_bitstream");
    CHECK(run.experiment == "exp");
    auto config = nlohmann::json::parse(run.config_json);
    CHECK(config["train_runs"] == nlohmann::json{"tA", "tB"});
    CHECK(config["toolchain_runs"] == nlohmann::json{"bY", "bZ"});
    CHECK(config["samples"] == 4);
    CHECK(run.id.size() == 16); // an observation id of its own
    std::map<std::string, double> metrics;
    for (const auto& m : run.metrics)
        metrics[m.key] = m.value;
    CHECK(metrics.at("prediction_mismatches") == 1);
    CHECK(metrics.at("logit_mismatches") == 3);
    CHECK(metrics.at("models") == 2);
    CHECK(metrics.at("bitstreams") == 2);
    CHECK(metrics.at("samples") == 4);
    CHECK(metrics.at("identical_across_bitstreams") == 1);
    CHECK(metrics.at("model_disagreement") == Approx(0.5));
    REQUIRE(run.artifacts.size() == 1);
    CHECK(run.artifacts[0].name == "model_on_bitstream.json");
    auto json = nlohmann::json::parse(
        std::string(run.artifacts[0].bytes.begin(), run.artifacts[0].bytes.end()));
    CHECK(json == model_on_bitstream::to_json(report));
    CHECK_THAT(run.message, Catch::Contains("EQUIVALENCE CHECK FAILED"));

    // Same runs in another order: the same configuration, another observation. One model: no
    // disagreement metric, not a fake 0.
    std::reverse(report.results.begin(), report.results.end());
    auto again = model_on_bitstream::model_report_run(report, "exp");
    CHECK(again.config_json == run.config_json);
    CHECK(again.id != run.id);
    report.results.resize(2);
    report.model_disagreements.clear();
    report.identical_across_bitstreams = {{"tA", false}};
    auto single = model_on_bitstream::model_report_run(report, "exp");
    bool has_disagreement = false;
    for (const auto& m : single.metrics) {
        has_disagreement = has_disagreement || m.key == "model_disagreement";
        if (m.key == "identical_across_bitstreams")
            CHECK(m.value == 0);
    }
    CHECK_FALSE(has_disagreement);
}
