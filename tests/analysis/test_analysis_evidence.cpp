// The verdict's evidence on constructed databases: a figure on its margin is undecided with a
// stability near one half, claim 6 is decided by TOST on the ratio, disagreeing evidence sets
// are all shown, and the JSON and the CLI carry every field. Claims 1 to 5:
// test_analysis_verdict.cpp.
#include "harness/process/process.h"
#include "tests/analysis/verdict_world.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace detlab;
using namespace detlab::analysis;
using namespace detlab::testing;

TEST_CASE("a decisive figure on its margin cannot be decided and is stable about half the time") {
    World w;
    // Fmax 100 + step * {-2..2}: a sample std of step * sqrt(80/39) over 40 runs; the step puts
    // the CV exactly on the 5% margin.
    w.tc_parallel.runs = 40;
    w.tc_parallel.fmax_step = kFmaxMarginPct / std::sqrt(80.0 / 39.0);
    auto list = w.verdicts("on-margin");
    const auto& v = list[4];
    CHECK(v.finding == Finding::undecided);
    const auto& e = evidence_of(v, "toolchain constructed/parallel-refine");
    REQUIRE(e.value);
    CHECK(*e.value == Approx(kFmaxMarginPct).epsilon(1e-9));
    CHECK(e.finding == Finding::undecided);
    REQUIRE(e.stability);
    CHECK(*e.stability > 0.3);
    CHECK(*e.stability < 0.7);
    CHECK_FALSE(e.n_to_decide); // no n decides a figure that sits on the margin
    CHECK_THAT(e.n_note, Catch::Contains("never"));
    REQUIRE(v.stability);
    CHECK(*v.stability < 0.7);
    // The same figure well below the margin is decided, and stably so.
    w.tc_parallel.fmax_step = 1;
    auto below = w.verdicts("below-margin"); // kept: evidence_of returns a reference into it
    const auto& low = evidence_of(below[4], "parallel-refine");
    CHECK(low.finding == Finding::supported);
    REQUIRE(low.stability);
    CHECK(*low.stability > 0.95);
}

TEST_CASE("claim 6: a one-bit change against a reseed of the same scope, by TOST on the ratio") {
    World w;
    w.extra = {float_study("bit-flip-float", "bit_flip", "mlp", 8),
               float_study("init-seed-float", "init_seed", "mlp", 8)};
    auto list = w.verdicts("claim6-supported");
    CHECK(finding(list, 6) == Finding::supported);
    const auto& e = evidence_of(list[5], "bit-flip-float vs constructed/init-seed-float");
    REQUIRE(e.value);
    CHECK(*e.value == Approx(1.0));
    CHECK_THAT(e.test, Catch::Contains("two one-sided tests"));
    // A resample of the runs stands for another sample of 15: its interval is judged at n = 15,
    // not at its distinct runs (about 10 of 15), so a clear decision is reproduced, not lost.
    REQUIRE(e.same_outcome);
    CHECK(*e.same_outcome > 0.95);
    // Summers and Dinneen's full metric set of both studies, each figure with n and an interval.
    const auto& sets = list[5].metric_sets;
    REQUIRE(sets.size() == 2);
    CHECK(sets[0].label == "constructed/bit-flip-float vs constructed/init-seed-float");
    CHECK(sets[1].label == "constructed/init-seed-float");
    for (const auto& set : sets) {
        CHECK(set.runs == 15);
        CHECK(set.test_samples == 400);
        for (const Estimate* figure : {&set.accuracy_std_pp, &set.loss_std, &set.disagreement,
                                       &set.logit_correlation, &set.ensemble_gain_pp}) {
            CHECK(figure->n == 15);
            CHECK((figure->ci || !figure->note.empty())); // an interval, or why there is none
        }
        REQUIRE(set.disagreement.value);
        CHECK(*set.disagreement.value == Approx(4.0)); // 8 + 8 of 400 inputs, in %
        REQUIRE(set.disagreement.ci);
    }
    CHECK_FALSE(sets[1].accuracy_std_ratio.value); // the reference has no ratio to itself
    w.extra[0].accuracy_step = 0.004;
    w.extra[1].accuracy_step = 0.002;
    auto spread = w.verdicts("claim6-spread");
    const auto& ratio = spread[5].metric_sets.at(0).accuracy_std_ratio;
    REQUIRE(ratio.value);
    CHECK(*ratio.value == Approx(2.0));
    REQUIRE(ratio.ci);
    CHECK(ratio.ci->low == Approx(2 / std::sqrt(f_quantile(0.975, 14, 14))).margin(1e-6));
    CHECK(ratio.ci->high == Approx(2 / std::sqrt(f_quantile(0.025, 14, 14))).margin(1e-6));
    CHECK_THAT(format_verdicts(spread), Catch::Contains("metric set") &&
                                            Catch::Contains("accuracy std over the reseed's 2"));
    w.extra[0].accuracy_step = w.extra[1].accuracy_step = 0;
    w.extra[0].flipped_samples = 0; // the flip changes no prediction, the reseed does
    CHECK(finding(w.verdicts("claim6-contradicted"), 6) == Finding::contradicted);
    w.extra.pop_back(); // no float reseed to compare with
    CHECK(finding(w.verdicts("claim6-undecided"), 6) == Finding::undecided);
    CHECK(finding(World{}.verdicts("claim6-none"), 6) == Finding::undecided);
}

TEST_CASE("an MLP and a CNN study that disagree are both shown and the claim is not decided") {
    World w;
    w.extra = {float_study("mlp-flip", "bit_flip", "mlp", 0),
               float_study("mlp-seed", "init_seed", "mlp", 8),
               float_study("cnn-flip", "bit_flip", "cnn", 8),
               float_study("cnn-seed", "init_seed", "cnn", 8)};
    auto list = w.verdicts("mlp-cnn");
    const auto& v = list[5];
    CHECK(v.finding == Finding::undecided);
    CHECK(v.evidence_disagrees);
    REQUIRE(v.evidence.size() == 2); // each flip paired only with the reseed of its own model
    const auto& mlp = evidence_of(v, "mlp-flip vs constructed/mlp-seed");
    const auto& cnn = evidence_of(v, "cnn-flip vs constructed/cnn-seed");
    CHECK(mlp.finding == Finding::contradicted);
    CHECK(cnn.finding == Finding::supported);
    CHECK(std::find(mlp.scope.begin(), mlp.scope.end(),
                    std::pair<std::string, std::string>{"model", "mlp"}) != mlp.scope.end());
    CHECK_THAT(format_verdicts(list), Catch::Contains("mlp-flip") && Catch::Contains("cnn-flip") &&
                                          Catch::Contains("the evidence sets disagree"));
}

TEST_CASE("the verdict's JSON carries every field for every claim and evidence set") {
    World w;
    w.extra = {float_study("bit-flip-float", "bit_flip", "mlp", 8),
               float_study("init-seed-float", "init_seed", "mlp", 8)};
    w.tr_repeat.runs = 5;
    auto json = nlohmann::json::parse(format_verdicts_json(w.verdicts("json")));
    REQUIRE(json.size() == 6);
    for (const auto& claim : json) {
        for (const char* key : {"claim", "text", "tested", "outcome", "margins", "tests",
                                "n_to_decide", "stability", "evidence_disagrees", "evidence"})
            CHECK(claim.contains(key));
        CHECK_FALSE(claim["margins"].empty());
        REQUIRE_FALSE(claim["evidence"].empty());
        for (const auto& e : claim["evidence"]) {
            for (const char* key :
                 {"part", "evidence_set", "scope", "figure", "test", "margin", "n", "value",
                  "interval", "confidence", "outcome", "n_to_decide", "n_to_decide_note",
                  "stability", "same_outcome_share"})
                CHECK(e.contains(key));
            CHECK(e["margin"].contains("source"));
            CHECK_FALSE(e["margin"]["source"].get<std::string>().empty());
            CHECK(e["confidence"] == kConfidence);
        }
    }
    CHECK(json[0]["outcome"] == "cannot decide");
    CHECK(json[0]["n_to_decide"] == 18);
    CHECK(json[5]["evidence"][0]["scope"]["backend"] == "float");
    REQUIRE(json[5]["metric_sets"].size() == 2);
    for (const char* key : {"accuracy_std_pp", "cross_entropy_std", "prediction_disagreement_pct",
                            "logit_correlation", "ensemble_gain_pp"})
        CHECK(json[5]["metric_sets"][0][key].contains("n"));
}

TEST_CASE("detlab verdict and compare --verdict print the tests' findings", "[cli]") {
    std::string db = World{}.build("cli").string();
    process::Spec spec;
    spec.argv = {DETLAB_BINARY, "verdict", "--db", db};
    auto result = process::run(spec);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("Claim 1:") && Catch::Contains("verdict: supported") &&
                               Catch::Contains("stability"));
    spec.argv = {DETLAB_BINARY, "verdict", "--db", db, "--format", "json"};
    result = process::run(spec);
    REQUIRE(result.exit_code == 0);
    auto json = nlohmann::json::parse(result.out);
    CHECK(json.size() == 6);
    CHECK(json[2]["finding"] == "supported");
    CHECK(json[2]["evidence"][0].contains("stability"));
    spec.argv = {DETLAB_BINARY, "compare", "--db", db, "--verdict"};
    result = process::run(spec);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("differ from 1st") && Catch::Contains("Verdict"));
    spec.argv = {DETLAB_BINARY, "compare", "--db", db, "--verdict", "--format", "csv"};
    CHECK(process::run(spec).exit_code == 2);
}
