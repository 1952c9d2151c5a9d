// The verdict's pre-declared tests on constructed databases: every claim comes out supported,
// contradicted and undecidable from data built to do so, a figure on its margin is undecided
// with a stability near one half, disagreeing evidence sets are all shown, and the JSON and the
// CLI carry every field.
#include "analysis/analysis.h"
#include "harness/process/process.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

using namespace detlab;
using namespace detlab::analysis;
namespace fs = std::filesystem;

namespace {

// 16 payload bytes in a minimal iCE40 bitstream (one 16 x 8 CRAM bank); seed 0: all 0x5A.
Bytes bitstream(std::uint64_t seed) {
    Bytes bin{0xFF, 0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E, 0x62,
              0x00, 0x0F, 0x72, 0x00, 0x08, 0x11, 0x00, 0x01, 0x01};
    detlab::DeterministicRng rng(seed);
    for (int i = 0; i < 16; ++i)
        bin.push_back(seed ? static_cast<std::uint8_t>(rng.below(256)) : 0x5A);
    Bytes tail{0x00, 0x00, 0x22, 0x00, 0x00, 0x01, 0x06, 0x00};
    bin.insert(bin.end(), tail.begin(), tail.end());
    return bin;
}

struct Builds {
    std::string study, factor;
    int runs = 0;
    bool distinct = false;            // each run its own bitstream, else all the same one
    double fmax = 100, fmax_step = 0; // run i: fmax + fmax_step * (i % 5 - 2)
    bool parallel = false;
    std::optional<bool> same_function; // equivalence outputs equal (true) or not; none: not run
};

void record(db::Store& store, const Builds& b) {
    for (int i = 0; i < b.runs; ++i) {
        db::RunResult r;
        r.config_json = nlohmann::json{{"study", b.study}, {"i", i}}.dump();
        r.repeat = i;
        r.id = db::run_id("toolchain", r.config_json, r.repeat);
        r.experiment = "constructed";
        r.kind = "toolchain";
        r.add_param("study", b.study);
        r.add_param("factor", b.factor);
        r.add_param("factor_value", std::to_string(i));
        r.add_param("parallel_refine", b.parallel ? "true" : "false");
        r.add_artifact("bitstream.bin",
                       bitstream(b.distinct ? 1000 + std::hash<std::string>{}(b.study) % 1000 +
                                                  std::uint64_t(i)
                                            : 0));
        r.add_artifact("netlist.json", std::string_view("{}"));
        r.add_metric("fmax_mhz", b.fmax + b.fmax_step * (i % 5 - 2));
        if (b.same_function) {
            std::int32_t words[2] = {1, *b.same_function ? 2 : i};
            Bytes out(8);
            std::memcpy(out.data(), words, 8);
            r.add_artifact("equiv_outputs.bin", out);
            r.add_metric("equiv_vectors", 1);
        }
        store.record_run(r);
    }
}

struct Trainings {
    std::string study, factor;
    int runs = 0;
    bool distinct = false;                     // each run its own weights
    int odd_run = -1;                          // this run's weights differ from the others'
    double accuracy = 0.95, accuracy_step = 0; // run i: accuracy + step * (i % 5 - 2)
    std::string backend = "golden";
    std::string model = "mlp";
    int flipped_samples = 0; // run i predicts another class on its own k test samples
};

void record(db::Store& store, const Trainings& t) {
    const int test_samples = 400;
    for (int i = 0; i < t.runs; ++i) {
        db::RunResult r;
        r.config_json = nlohmann::json{{"study", t.study}, {"i", i}}.dump();
        r.repeat = i;
        r.id = db::run_id("train", r.config_json, r.repeat);
        r.experiment = "constructed";
        r.kind = "train";
        r.add_param("study", t.study);
        r.add_param("factor", t.factor);
        r.add_param("factor_value", std::to_string(i));
        r.add_param("backend", t.backend);
        r.add_param("model", t.model);
        detlab::DeterministicRng rng(t.distinct || i == t.odd_run ? 77 + std::uint64_t(i) : 1);
        Tensor w{"w1", {16}, {}};
        for (int k = 0; k < 16; ++k)
            w.values.push_back(float(rng.below(1000)) / 1000.0f - 0.5f);
        r.add_artifact("weights.bin", encode_tensors({w}));
        Tensor logits{"logits", {test_samples, 2}, {}}, labels{"labels", {test_samples}, {}};
        for (int s = 0; s < test_samples; ++s) {
            bool flipped = s / std::max(t.flipped_samples, 1) == i && t.flipped_samples > 0;
            logits.values.insert(logits.values.end(),
                                 {flipped ? 0.0f : 1.0f, flipped ? 1.0f : 0.0f});
            labels.values.push_back(0);
        }
        r.add_artifact("test_logits.bin", encode_tensors({logits, labels}));
        r.add_metric("final_test_accuracy", t.accuracy + t.accuracy_step * (i % 5 - 2));
        store.record_run(r);
    }
}

// A database where every claim comes out supported; each case then breaks one part.
struct World {
    Builds tc_seed, tc_repeat, tc_parallel;
    Trainings tr_seed, tr_repeat, tr_parallel;
    std::vector<Trainings> extra;
    World() {
        tc_seed.study = "seed";
        tc_seed.factor = "seed";
        tc_seed.runs = 10;
        tc_seed.distinct = true;
        tc_seed.fmax_step = 3;
        tc_seed.same_function = true;
        tc_repeat.study = "repeat-baseline";
        tc_repeat.factor = "repeat";
        tc_repeat.runs = 18; // 0 of 17 differ: at most 19.5% (two-sided 95%), under 20%
        tc_parallel.study = "parallel-refine";
        tc_parallel.factor = "repeat";
        tc_parallel.runs = 15;
        tc_parallel.parallel = true;
        tr_seed.study = "init";
        tr_seed.factor = "init_seed";
        tr_seed.runs = 30;
        tr_seed.distinct = true;
        tr_seed.accuracy = 0.60;
        tr_seed.accuracy_step = 0.15;
        tr_repeat.study = "repeat-baseline";
        tr_repeat.factor = "repeat";
        tr_repeat.runs = 20;
        tr_parallel.study = "float-atomic";
        tr_parallel.factor = "repeat";
        tr_parallel.runs = 20;
        tr_parallel.distinct = true;
        tr_parallel.accuracy_step = 0.001;
        tr_parallel.backend = "float-atomic";
    }
    fs::path build(const std::string& name, bool parallel = true) const {
        fs::path dir = fs::path(DETLAB_TEST_TMP) / "verdict" / name;
        fs::remove_all(dir);
        fs::create_directories(dir);
        db::Store store(dir / "detlab.db");
        record(store, tc_seed);
        record(store, tc_repeat);
        record(store, tr_seed);
        record(store, tr_repeat);
        if (parallel) {
            record(store, tc_parallel);
            record(store, tr_parallel);
        }
        for (const auto& t : extra)
            record(store, t);
        return dir / "detlab.db";
    }
    std::vector<ClaimVerdict> verdicts(const std::string& name, bool parallel = true) const {
        db::Store store(build(name, parallel));
        return analysis::verdicts(comparison_rows(analyse(store, std::nullopt)));
    }
};

Finding finding(const std::vector<ClaimVerdict>& list, int claim) {
    return list.at(std::size_t(claim - 1)).finding;
}

const Evidence& evidence_of(const ClaimVerdict& v, const std::string& label_part) {
    for (const auto& e : v.evidence)
        if (e.label.find(label_part) != std::string::npos)
            return e;
    FAIL("no evidence set " << label_part << " in claim " << v.number);
    throw std::logic_error("unreachable");
}

Trainings float_study(const std::string& study, const std::string& factor, const std::string& model,
                      int flipped) {
    Trainings t;
    t.study = study;
    t.factor = factor;
    t.runs = 15;
    t.distinct = true;
    t.backend = "float";
    t.model = model;
    t.flipped_samples = flipped;
    return t;
}

} // namespace

TEST_CASE("a world built to support the claims gets their verdicts from the tests") {
    auto list = World{}.verdicts("supported");
    REQUIRE(list.size() == 6);
    for (int claim : {1, 2, 3, 4, 5})
        CHECK(finding(list, claim) == Finding::supported);
    // Each claim names its margins and tests, and every part has an evidence set.
    for (int claim : {1, 2, 3, 4, 5}) {
        const auto& v = list[std::size_t(claim - 1)];
        CHECK_FALSE(v.margins.empty());
        CHECK(v.tests.size() == v.margins.size());
        CHECK(v.evidence.size() >= v.margins.size());
        CHECK_FALSE(v.evidence_disagrees);
        for (const auto& e : v.evidence) {
            CHECK(e.finding == Finding::supported);
            CHECK(e.n_note == "decided");
            REQUIRE(e.stability);
            CHECK(*e.stability > 0.9);
        }
    }
    const auto& repeats = evidence_of(list[0], "toolchain constructed/repeat-baseline");
    CHECK(repeats.n == 17);
    REQUIRE(repeats.ci);
    CHECK(repeats.ci->high == Approx(1 - std::pow(0.025, 1.0 / 17)));
    CHECK_THAT(format_verdicts(list), Catch::Contains("Claim 5:") &&
                                          Catch::Contains("verdict: supported") &&
                                          Catch::Contains("margin:  Fmax CV at most 5%"));
}

TEST_CASE("claims 1 and 4: repeats that all differ contradict, few repeats cannot decide") {
    World w;
    w.tr_repeat.distinct = true;
    auto list = w.verdicts("claim1-contradicted");
    CHECK(finding(list, 1) == Finding::contradicted);
    CHECK(finding(list, 4) == Finding::contradicted);
    World few;
    few.tr_repeat.runs = 5; // 0 of 4 differ: the chance may still be up to 60%
    list = few.verdicts("claim1-undecided");
    CHECK(finding(list, 1) == Finding::undecided);
    CHECK(finding(list, 4) == Finding::undecided);
    const auto& e = evidence_of(list[0], "training constructed/repeat-baseline");
    REQUIRE(e.ci);
    CHECK(e.ci->high == Approx(1 - std::pow(0.025, 1.0 / 4)));
    // (1 - 0.2)^n <= 0.025 from n = 17 trials: 18 runs decide.
    REQUIRE(e.n_to_decide);
    CHECK(*e.n_to_decide == 18);
    REQUIRE(list[0].n_to_decide);
    CHECK(*list[0].n_to_decide >= 18);
}

TEST_CASE("claim 2: a spread within the sampling error contradicts, two runs cannot decide") {
    World w;
    w.tr_seed.accuracy = 0.95;
    w.tr_seed.accuracy_step = 0.001;
    CHECK(finding(w.verdicts("claim2-contradicted"), 2) == Finding::contradicted);
    w.tr_seed.runs = 2;
    w.tr_seed.accuracy_step = 0.02;
    auto list = w.verdicts("claim2-undecided");
    CHECK(finding(list, 2) == Finding::undecided);
}

TEST_CASE("claim 3: seeds that change function contradict, no equivalence check cannot decide") {
    World w;
    w.tc_seed.same_function = false;
    CHECK(finding(w.verdicts("claim3-contradicted"), 3) == Finding::contradicted);
    w.tc_seed.same_function.reset();
    auto list = w.verdicts("claim3-undecided");
    CHECK(finding(list, 3) == Finding::undecided);
    CHECK_THAT(list[2].because, Catch::Contains("not measured"));
}

TEST_CASE("claims 4 and 5: parallel builds of another quality contradict, none cannot decide") {
    World w;
    w.tc_parallel.fmax_step = 10; // CV about 14%
    auto list = w.verdicts("claim45-contradicted");
    CHECK(finding(list, 4) == Finding::contradicted);
    CHECK(finding(list, 5) == Finding::contradicted);
    list = World{}.verdicts("claim45-undecided", false);
    CHECK(finding(list, 4) == Finding::undecided);
    CHECK(finding(list, 5) == Finding::undecided);
    CHECK_THAT(list[4].because, Catch::Contains("no runs"));
    World noisy; // training's parallel spread about its sampling error: neither side
    noisy.tr_parallel.accuracy_step = 0.008;
    CHECK(finding(noisy.verdicts("claim5-noisy"), 5) == Finding::undecided);
}

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
