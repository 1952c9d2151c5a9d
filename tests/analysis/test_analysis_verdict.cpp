// The verdict rules on constructed databases: every claim comes out supported, contradicted and
// undecidable from data built to do so, and the CLI prints what the rules say.
#include "analysis/analysis.h"
#include "harness/process/process.h"

#include <catch2/catch.hpp>
#include <cstring>

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
        tc_repeat.runs = 15;
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
    std::vector<ClaimVerdict> verdicts(const std::string& name, bool parallel = true) const {
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
        return analysis::verdicts(comparison_rows(analyse(store, std::nullopt)));
    }
};

Finding finding(const std::vector<ClaimVerdict>& list, int claim) {
    return list.at(std::size_t(claim - 1)).finding;
}

} // namespace

TEST_CASE("a world built to support the claims gets their verdicts from the rules") {
    auto list = World{}.verdicts("supported");
    REQUIRE(list.size() == 6);
    // Claim 2 needs a large init-seed quality spread ("the results are random"); the others
    // need reproducible repeats, seed-randomised but functionally equal bitstreams and small
    // parallel effects, all present at once.
    for (int claim : {1, 2, 3, 4, 5})
        CHECK(finding(list, claim) == Finding::supported);
    CHECK_THAT(list[0].because, Catch::Contains("0/19") && Catch::Contains("0/14"));
    CHECK_THAT(list[2].because, Catch::Contains("functional distance 0"));
    CHECK_THAT(format_verdicts(list),
               Catch::Contains("Claim 5:") && Catch::Contains("verdict: supported"));
}

TEST_CASE("claims 1 and 4: a training repeat that differs contradicts, few repeats cannot decide") {
    World w;
    w.tr_repeat.odd_run = 7;
    auto list = w.verdicts("claim1-contradicted");
    CHECK(finding(list, 1) == Finding::contradicted);
    CHECK(finding(list, 4) == Finding::contradicted);
    CHECK_THAT(list[0].because, Catch::Contains("1/19"));
    World few;
    few.tr_repeat.runs = 5; // 0 of 4 differ: the chance may still be up to 53%
    list = few.verdicts("claim1-undecided");
    CHECK(finding(list, 1) == Finding::undecided);
    CHECK(finding(list, 4) == Finding::undecided);
    CHECK_THAT(list[0].because, Catch::Contains("0/4 (<=52.7%)"));
}

TEST_CASE("claim 2: a reproducible quality contradicts, two runs cannot decide") {
    World w;
    w.tr_seed.accuracy = 0.95;
    w.tr_seed.accuracy_step = 0.002;
    CHECK(finding(w.verdicts("claim2-contradicted"), 2) == Finding::contradicted);
    w.tr_seed.runs = 2;
    w.tr_seed.accuracy_step = 0.02;
    auto list = w.verdicts("claim2-undecided");
    CHECK(finding(list, 2) == Finding::undecided);
    CHECK_THAT(list[1].because, Catch::Contains("n=2"));
}

TEST_CASE("claim 3: seeds that change function contradict, no equivalence check cannot decide") {
    World w;
    w.tc_seed.same_function = false;
    CHECK(finding(w.verdicts("claim3-contradicted"), 3) == Finding::contradicted);
    w.tc_seed.same_function.reset();
    auto list = w.verdicts("claim3-undecided");
    CHECK(finding(list, 3) == Finding::undecided);
    CHECK_THAT(list[2].because, Catch::Contains("functional distance not measured"));
}

TEST_CASE("claims 4 and 5: parallel builds of another quality contradict, none cannot decide") {
    World w;
    w.tc_parallel.fmax_step = 10; // CV about 10%
    auto list = w.verdicts("claim45-contradicted");
    CHECK(finding(list, 4) == Finding::contradicted);
    CHECK(finding(list, 5) == Finding::contradicted);
    list = World{}.verdicts("claim45-undecided", false);
    CHECK(finding(list, 4) == Finding::undecided);
    CHECK(finding(list, 5) == Finding::undecided);
    CHECK_THAT(list[4].because, Catch::Contains("no runs"));
    World noisy; // training's parallel spread far above the accuracy's sampling error
    noisy.tr_parallel.accuracy_step = 0.01;
    CHECK(finding(noisy.verdicts("claim5-noisy"), 5) == Finding::undecided);
}

TEST_CASE("claim 6: a one-bit change against a reseed on the same backend") {
    Trainings flip, reseed;
    flip.study = "bit-flip-float";
    flip.factor = "bit_flip";
    flip.runs = 15;
    flip.distinct = true;
    flip.backend = "float";
    flip.flipped_samples = 8;
    reseed = flip;
    reseed.study = "init-seed-float";
    reseed.factor = "init_seed";
    World w;
    w.extra = {flip, reseed};
    auto list = w.verdicts("claim6-supported");
    CHECK(finding(list, 6) == Finding::supported);
    CHECK_THAT(list[5].because, Catch::Contains("bit-flip-float (float)") &&
                                    Catch::Contains("init-seed-float: disagreement 4%"));
    w.extra[0].flipped_samples = 0; // the flip changes no prediction, the reseed does
    CHECK(finding(w.verdicts("claim6-contradicted"), 6) == Finding::contradicted);
    w.extra.pop_back(); // no float reseed to compare with
    CHECK(finding(w.verdicts("claim6-undecided"), 6) == Finding::undecided);
    CHECK(finding(World{}.verdicts("claim6-none"), 6) == Finding::undecided);
}

TEST_CASE("detlab verdict and compare --verdict print the rules' findings", "[cli]") {
    World{}.verdicts("cli");
    std::string db = (fs::path(DETLAB_TEST_TMP) / "verdict" / "cli" / "detlab.db").string();
    process::Spec spec;
    spec.argv = {DETLAB_BINARY, "verdict", "--db", db};
    auto result = process::run(spec);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("Claim 1:") && Catch::Contains("verdict: supported"));
    spec.argv = {DETLAB_BINARY, "verdict", "--db", db, "--format", "json"};
    result = process::run(spec);
    REQUIRE(result.exit_code == 0);
    auto json = nlohmann::json::parse(result.out);
    CHECK(json.size() == 6);
    CHECK(json[2]["finding"] == "supported");
    spec.argv = {DETLAB_BINARY, "compare", "--db", db, "--verdict"};
    result = process::run(spec);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("differ from 1st") && Catch::Contains("Verdict"));
    spec.argv = {DETLAB_BINARY, "compare", "--db", db, "--verdict", "--format", "csv"};
    CHECK(process::run(spec).exit_code == 2);
}
