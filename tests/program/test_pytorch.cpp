// A tiny PyTorch program (tests/program/tiny/train.py) through the whole pipeline: the sweep
// runs it, the store keeps its weights and logits as the built-in trainer's, the analysis
// compares them. Needs /usr/bin/python3 with PyTorch (python3-torch).
#include "analysis/analysis.h"
#include "harness/program/program.h"
#include "harness/sweep/sweep.h"
#include "tests/fresh_dir.h"

#include <catch2/catch.hpp>
#include <filesystem>

namespace fs = std::filesystem;
using namespace detlab;

namespace {

fs::path scratch(const std::string& name) {
    return detlab::test::fresh_dir("program-pytorch", name);
}

// A copy of the tiny program in its own folder, so a test may edit it.
fs::path tiny_program(const fs::path& dir) {
    auto folder = dir / "tiny";
    fs::create_directories(folder);
    fs::copy_file(fs::path(DETLAB_SOURCE_ROOT) / "tests" / "program" / "tiny" / "train.py",
                  folder / "train.py");
    return folder;
}

std::string experiment_text(const fs::path& program, const std::string& studies, int epochs = 3,
                            int time_limit_s = 300) {
    return "[experiment]\nname = \"tiny\"\n[program]\nprogram_dir = \"" + program.string() +
           "\"\nepochs = " + std::to_string(epochs) +
           "\nbatch_size = 20\nlearning_rate = 0.1\nclasses = 3\nwidth = 16\n"
           "model = \"MLP 8-16-3\"\ndataset = \"synthetic\"\ntime_limit_s = " +
           std::to_string(time_limit_s) + "\n" + studies;
}

sweep::SweepSummary run(const sweep::Experiment& experiment, const fs::path& db) {
    sweep::RunOptions options;
    options.db_path = db;
    options.jobs = 1;
    return sweep::run_sweep(experiment, sweep::builtin_domains(), options);
}

std::vector<Tensor> stored(const db::Store& store, const std::string& run_id, const char* name) {
    auto bytes = store.artifact_bytes(run_id, name);
    REQUIRE(bytes);
    return decode_tensors(*bytes, name);
}

const analysis::ComparisonRow& row_of(const std::vector<analysis::ComparisonRow>& rows,
                                      const std::string& study) {
    auto it = std::find_if(rows.begin(), rows.end(),
                           [&](const analysis::ComparisonRow& r) { return r.study == study; });
    REQUIRE(it != rows.end());
    return *it;
}

} // namespace

TEST_CASE("seeds vary a PyTorch program's weights and a deterministic repeat is bit-identical") {
    auto dir = scratch("seeds");
    auto program = tiny_program(dir);
    auto experiment = sweep::parse_experiment(
        experiment_text(program, "[[program.vary]]\nfactor = \"init_seed\"\nvalues = [1, 2]\n"
                                 "[[program.vary]]\nname = \"again\"\nfactor = \"repeat\"\n"
                                 "count = 2\n"
                                 "[[program.vary]]\nfactor = \"bit_flip\"\nvalues = [-1, 5]\n"
                                 "[[program.vary]]\nfactor = \"weight_step\"\nvalues = [5]\n"),
        "tiny.toml", sweep::builtin_domains());
    auto summary = run(experiment, dir / "detlab.db");
    REQUIRE(summary.failed == 0);
    REQUIRE(summary.done == 7);

    db::Store store(dir / "detlab.db");
    db::RunFilter filter;
    filter.kind = db::kKindTrain;
    auto rows = store.runs(filter);
    REQUIRE(rows.size() == 7);
    auto params = store.params(rows[0].id);
    auto param = [&](const std::string& key) {
        for (const auto& [k, v] : params)
            if (k == key)
                return v;
        return std::string();
    };
    CHECK(param("framework").rfind("PyTorch ", 0) == 0);
    CHECK(param("model") == "MLP 8-16-3");
    CHECK(store.provenance(rows[0].id).at("program.deterministic") == "True");

    // The stored tensors read back and compared with the analysis's own functions.
    auto by_study = [&](const std::string& study) {
        std::vector<std::string> ids;
        for (const auto& row : rows)
            for (const auto& [k, v] : store.params(row.id))
                if (k == "study" && v == study)
                    ids.push_back(row.id);
        REQUIRE(ids.size() == 2);
        return ids;
    };
    // A repeat with the determinism switch on: the weights and the logits bit for bit.
    auto again = by_study("again");
    for (const auto& id : again)
        CHECK(store.provenance(id).at("program.deterministic") == "True");
    auto same = analysis::weight_distance(stored(store, again[0], db::artifact::kWeights),
                                          stored(store, again[1], db::artifact::kWeights));
    CHECK(same.identical);
    CHECK(same.differing_bits == 0);
    CHECK(*store.artifact_bytes(again[0], db::artifact::kTestLogits) ==
          *store.artifact_bytes(again[1], db::artifact::kTestLogits));
    auto seeds = by_study("init_seed");
    auto apart = analysis::weight_distance(stored(store, seeds[0], db::artifact::kWeights),
                                           stored(store, seeds[1], db::artifact::kWeights));
    CHECK_FALSE(apart.identical);
    CHECK(apart.differing_bits > 0);
    auto logits_a = stored(store, seeds[0], db::artifact::kTestLogits);
    auto logits_b = stored(store, seeds[1], db::artifact::kTestLogits);
    REQUIRE(logits_a.size() == 2);
    CHECK(logits_a[0].shape == std::vector<std::uint32_t>{60, 3});
    auto compared = analysis::compare_logits(logits_a[0], logits_b[0], logits_a[1]);
    CHECK(compared.accuracy_a > 0.5); // it learned something on three separable blobs
    CHECK(compared.pearson < 1.0);

    // The comparison table reads them as any training runs.
    auto table = analysis::comparison_rows(analysis::analyse(store, std::string("tiny")));
    const auto& repeat_row = row_of(table, "again");
    CHECK(repeat_row.domain == "training");
    CHECK(repeat_row.runs == 2);
    REQUIRE(repeat_row.identical_pct);
    CHECK(*repeat_row.identical_pct == 100.0);
    CHECK(row_of(table, "init_seed").identical_pct == 0.0);
    CHECK(row_of(table, "bit_flip").runs == 2);

    // One flipped bit (the last of the mantissa) in one live initial weight: the program names
    // the weight it changed. Whether the model ends elsewhere is the experiment's question, not
    // the test's: here (seed 4995665754091003) the first update absorbs the flip and the final
    // weights are identical. One int8 step of the same weight is never absorbed.
    auto param_of = [&](const std::string& run_id, const std::string& key) {
        for (const auto& [k, v] : store.params(run_id))
            if (k == key)
                return v;
        return std::string();
    };
    std::map<std::string, std::string> flip_runs; // bit_flip value -> run, in the bit_flip study
    for (const auto& id : by_study("bit_flip"))
        flip_runs[param_of(id, "bit_flip")] = id;
    REQUIRE(flip_runs.count("-1"));
    REQUIRE(flip_runs.count("5"));
    std::string step_run;
    for (const auto& row : rows)
        if (param_of(row.id, "study") == "weight_step")
            step_run = row.id;
    REQUIRE(!step_run.empty());
    const auto& baseline = flip_runs.at("-1");
    CHECK(store.provenance(baseline).at("program.perturbed").empty());
    CHECK(store.provenance(flip_runs.at("5")).at("program.perturbed") == "0.weight[5]");
    CHECK(store.provenance(step_run).at("program.perturbed") == "0.weight[5]");
    auto moved = analysis::weight_distance(stored(store, baseline, db::artifact::kWeights),
                                           stored(store, step_run, db::artifact::kWeights));
    CHECK_FALSE(moved.identical);
    CHECK(moved.differing_bits > 0);
}

TEST_CASE("an edit to the program's file makes new runs") {
    auto dir = scratch("edit");
    auto program = tiny_program(dir);
    auto text = experiment_text(program, "[[program.vary]]\nfactor = \"repeat\"\ncount = 1\n");
    auto first = run(sweep::parse_experiment(text, "tiny.toml", sweep::builtin_domains()),
                     dir / "detlab.db");
    REQUIRE(first.done == 1);
    auto again = run(sweep::parse_experiment(text, "tiny.toml", sweep::builtin_domains()),
                     dir / "detlab.db");
    CHECK(again.already_done == 1);
    CHECK(again.done == 0);

    auto source = read_file_text(program / "train.py");
    write_file(program / "train.py", source + "# an edit that changes no behaviour\n");
    auto edited = run(sweep::parse_experiment(text, "tiny.toml", sweep::builtin_domains()),
                      dir / "detlab.db");
    CHECK(edited.already_done == 0);
    CHECK(edited.done == 1);
}

TEST_CASE("a failing, hanging or misbehaving program is a recorded failure and the sweep goes on") {
    auto dir = scratch("failures");
    auto program = tiny_program(dir);
    // One file whose misbehaviour the init seed picks (a factor, so one study holds them all).
    write_file(program / "bad.py", std::string_view(R"(import json, os, sys, time
import numpy as np
config = json.load(open(os.environ["DETLAB_CONFIG"]))
out, how = config["output_dir"], config["init_seed"]
if how == 1:
    print("about to fail", file=sys.stderr)
    sys.exit("ValueError: the program's own message")
if how == 2:
    time.sleep(600)
os.makedirs(out + "/weights", exist_ok=True)
np.save(out + "/weights/w.npy", np.zeros((10, 10) if how == 4 else (2, 2), "<f4"))
np.save(out + "/logits.npy", np.zeros((6, 4 if how == 3 else 3), "<f4"))
np.save(out + "/labels.npy", np.arange(6, dtype="<i8") % 3)
if how != 6:
    json.dump({"epochs": [{"epoch": 1, "test_accuracy": 0.5}]}, open(out + "/metrics.json", "w"))
)"));
    // 45 s leave numpy's import room on a loaded machine; only seed 2 reaches the limit.
    auto experiment = sweep::parse_experiment(
        experiment_text(program,
                        "entry = \"bad.py\"\nmax_weights = 50\n[[program.vary]]\n"
                        "factor = \"init_seed\"\nvalues = [1, 2, 3, 4, 5, 6]\n",
                        1, 45),
        "bad.toml", sweep::builtin_domains());
    auto summary = run(experiment, dir / "detlab.db");
    CHECK(summary.done == 1);
    CHECK(summary.failed == 5);

    db::Store store(dir / "detlab.db");
    std::map<std::string, db::RunRow> by_seed;
    for (const auto& row : store.runs())
        by_seed[nlohmann::json::parse(row.config_json).at("init_seed").dump()] = row;
    REQUIRE(by_seed.size() == 6);
    CHECK(by_seed["1"].status == db::kStatusFailed);
    CHECK_THAT(by_seed["1"].message, Catch::Contains("exit 1") &&
                                         Catch::Contains("about to fail") &&
                                         Catch::Contains("the program's own message"));
    CHECK(by_seed["2"].status == db::kStatusTimeout);
    CHECK(by_seed["3"].status == db::kStatusFailed);
    CHECK_THAT(by_seed["3"].message, Catch::Contains("logits.npy: shape must be (N, 3)"));
    CHECK(by_seed["4"].status == db::kStatusFailed);
    CHECK_THAT(by_seed["4"].message, Catch::Contains("w.npy: 100 elements, more than"));
    CHECK(by_seed["5"].status == db::kStatusDone);
    CHECK(by_seed["6"].status == db::kStatusFailed);
    CHECK_THAT(by_seed["6"].message, Catch::Contains("metrics.json: missing"));
    // A failed run keeps the program's log and nothing else.
    auto artifacts = store.artifacts(by_seed["3"].id);
    CHECK(artifacts.size() == 1);
    CHECK(artifacts.count("program.log") == 1);
}
