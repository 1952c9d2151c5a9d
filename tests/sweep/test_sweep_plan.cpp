// Experiment files: expansion, run ids, validation messages, plan sizes.
#include "plan_helpers.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>
#include <sys/resource.h>

using namespace detlab;
using namespace detlab::sweep;
using namespace detlab::sweep::testing;

TEST_CASE("one-at-a-time studies expand into groups with study params") {
    auto experiment = parse(kStudies);
    REQUIRE(experiment.runs.size() == 4 + 3 + 2);
    CHECK(experiment.name == "t");
    const auto& seed3 = experiment.runs[2];
    CHECK(seed3.study == "seed");
    CHECK(seed3.factor == "seed");
    CHECK(seed3.factor_value == 3);
    CHECK(seed3.config["seed"] == 3);
    CHECK(seed3.config["threads"] == 1); // completed with defaults
    const auto& repeat2 = experiment.runs[5];
    CHECK(repeat2.study == "repeat");
    CHECK(repeat2.factor_value == 1);
    CHECK(repeat2.config["threads"] == 2);
    CHECK(repeat2.config["parallel_refine"] == true);
    CHECK(repeat2.config["reuse_synthesis"] == false); // a repeat study never reuses synthesis
    CHECK(experiment.runs[4].repeat == 0);
    CHECK(repeat2.repeat == 1);
    CHECK(experiment.runs[6].repeat == 2);
    // placer = heap is the baseline again, as is seed = 1: the second occurrence is repeat 1.
    CHECK(experiment.runs[0].config == experiment.runs[7].config);
    CHECK(experiment.runs[0].repeat == 0);
    CHECK(experiment.runs[7].repeat == 1);
    auto ids = ids_of(experiment);
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
}

TEST_CASE("baseline_repeats plans the baseline after every study, changing no other id") {
    auto plain = parse(kStudies);
    std::string with_baseline = kStudies;
    with_baseline.replace(with_baseline.find("domains"), 0, "baseline_repeats = 3\n");
    auto experiment = parse(with_baseline);
    REQUIRE(experiment.runs.size() == plain.runs.size() + 3);
    for (std::size_t i = 0; i < plain.runs.size(); ++i)
        CHECK(experiment.runs[i].id == plain.runs[i].id);
    for (std::size_t i = plain.runs.size(); i < experiment.runs.size(); ++i) {
        const auto& run = experiment.runs[i];
        CHECK(run.study == "baseline");
        CHECK(run.factor == "repeat");
        CHECK(run.config == plain.runs[0].config); // seed = 1 and placer = heap: the baseline
        CHECK(run.repeat == static_cast<int>(i - plain.runs.size()) + 2);
    }
    CHECK(parse(kStudies).runs.size() == 4 + 3 + 2); // none unless asked for
}

TEST_CASE("run ids come from the completed config and stay stable") {
    auto experiment = parse(kStudies);
    for (const auto& run : experiment.runs)
        CHECK(run.id == db::run_id(run.kind, run.config.dump(), run.repeat));
    CHECK(ids_of(parse(kStudies)) == ids_of(experiment));
    // Reformatting, comments and a study appended at the end change no existing id.
    std::string edited = std::string("# a comment\n") + kStudies +
                         "\n[[toolchain.vary]]\nfactor = \"threads\"\nvalues = [4]\n";
    auto longer = ids_of(parse(edited));
    REQUIRE(longer.size() == experiment.runs.size() + 1);
    longer.pop_back();
    CHECK(longer == ids_of(experiment));
    // A different baseline changes every id.
    std::string other = kStudies;
    other.replace(other.find("device = \"hx1k\""), 15, "device = \"hx8k\"");
    CHECK(ids_of(parse(other))[0] != experiment.runs[0].id);
}

TEST_CASE("a grid crosses every factor and repeats each point") {
    auto experiment = parse(R"([experiment]
design = "grid"
[toolchain]
[[toolchain.vary]]
factor = "seed"
from = 1
to = 3
[[toolchain.vary]]
factor = "placer"
values = ["heap", "sa"]
[[toolchain.vary]]
factor = "repeat"
count = 2
)");
    REQUIRE(experiment.runs.size() == 3 * 2 * 2);
    CHECK(experiment.name == "exp"); // from the file name
    const auto& run = experiment.runs[3];
    CHECK(run.study == "grid");
    CHECK(run.factor == "seed,placer");
    CHECK(run.factor_value == nlohmann::json{{"seed", 1}, {"placer", "sa"}});
    CHECK(run.repeat == 1);
    CHECK(experiment.runs.back().factor_value == nlohmann::json{{"seed", 3}, {"placer", "sa"}});
}

TEST_CASE("domains without studies run their baseline, and the root seed reaches every domain") {
    auto experiment = parse(R"([experiment]
domains = ["train", "toolchain"]
repeats = 2
seed = 42
[train]
epochs = 3
)");
    REQUIRE(experiment.runs.size() == 4);
    CHECK(experiment.runs[0].kind == "train");
    CHECK(experiment.runs[0].config["root_seed"] == 42);
    CHECK(experiment.runs[0].config["init_seed"] == 0); // train derives it from root_seed
    CHECK(experiment.runs[1].repeat == 1);
    CHECK(experiment.runs[1].study == "baseline");
    auto placement_seed = experiment.runs[2].config["seed"].get<std::int64_t>();
    CHECK(placement_seed != 1); // derived from the root seed, not the default
    CHECK(placement_seed >= 0);
    CHECK(placement_seed <= 1000000000);
    CHECK(parse("[experiment]\nseed = 42\n[toolchain]\n").runs[0].config["seed"] == placement_seed);
}

TEST_CASE("every invalid input names file, line and key") {
    CHECK(error_of("[experiment\nname = 1\n").rfind("exp.toml:1: invalid TOML: ", 0) == 0);
    CHECK(error_of("[experiment]\nname = \"x\"\n\n[toolchain]\nsed = 4\n") ==
          "exp.toml:5: toolchain.sed: unknown key (valid keys: device, seed, threads, "
          "parallel_refine, placer, reuse_synthesis)");
    CHECK(error_of("[toolchain]\nthreads = \"two\"\n") ==
          "exp.toml:2: toolchain.threads: expected an integer, got \"two\"");
    CHECK(error_of("[toolchain]\nthreads = 65\n") ==
          "exp.toml:2: toolchain.threads: value 65 is out of range [1, 64]");
    CHECK(error_of("[toolchain]\nplacer = \"magic\"\n") ==
          "exp.toml:2: toolchain.placer: \"magic\" is not one of: heap, sa");
    CHECK(error_of("[toolchain]\n[[toolchain.vary]]\nfactor = \"colour\"\nvalues = [1]\n") ==
          "exp.toml:3: toolchain.vary[1].factor: unknown factor \"colour\" (valid factors: "
          "repeat, seed, threads, parallel_refine, placer)");
    CHECK(error_of("[toolchain]\n[[toolchain.vary]]\nfactor = \"device\"\nvalues = [\"hx8k\"]\n") ==
          "exp.toml:3: toolchain.vary[1].factor: \"device\" cannot be varied (valid factors: "
          "repeat, seed, threads, parallel_refine, placer)");
    CHECK(error_of("[toolchain]\n\n[[toolchain.vary]]\nvalues = [1]\n") ==
          "exp.toml:3: toolchain.vary[1].factor: missing (which factor does this study vary?)");
    CHECK(error_of("[toolchain]\n[[toolchain.vary]]\nfactor = \"seed\"\nvalues = [1,\n  -2]\n") ==
          "exp.toml:5: toolchain.vary[1].values: value -2 is out of range [0, 1000000000]");
    CHECK(error_of("[toolchain]\n[[toolchain.vary]]\nfactor = \"repeat\"\n") ==
          "exp.toml:2: toolchain.vary[1].count: missing (how many repeats?)");
    CHECK(error_of("[toolchain]\n[[toolchain.vary]]\nfactor = \"seed\"\nvalue = [1]\n") ==
          "exp.toml:4: toolchain.vary[1].value: unknown key (valid keys: factor, values, from, "
          "to, step, count, with, name, repeats, optional)");
    CHECK(error_of("[toolchain]\n[[toolchain.vary]]\nfactor = \"seed\"\nvalues = [1]\n"
                   "with = { treads = 2 }\n") ==
          "exp.toml:5: toolchain.vary[1].with.treads: unknown key (valid keys: device, seed, "
          "threads, parallel_refine, placer, reuse_synthesis)");
    CHECK(error_of("[experiment]\ndesign = \"random\"\n") ==
          "exp.toml:2: experiment.design: \"random\" is not one of: one-at-a-time, grid");
    CHECK(error_of("[experiment]\nrepeats = 0\n[toolchain]\n") ==
          "exp.toml:2: experiment.repeats: value 0 is out of range [1, 100000]");
    CHECK(error_of("[experiment]\ndomains = [\"fpga\"]\n") ==
          "exp.toml:2: experiment.domains: unknown domain \"fpga\" (valid domains: toolchain, "
          "train)");
    CHECK(error_of("[experiment]\nnmae = \"x\"\n") ==
          "exp.toml:2: experiment.nmae: unknown key (valid keys: name, description, domains, "
          "design, repeats, baseline_repeats, equiv_vectors, equiv_prove, equiv_cycles, "
          "equiv_clock, equiv_hold, seed)");
    CHECK(error_of("[experiment]\nequiv_vectors = -1\n") ==
          "exp.toml:2: experiment.equiv_vectors: value -1 is out of range [0, 100000]");
    // equiv_prove: seconds for the proof of every build; off by default, ids unchanged when on.
    CHECK(error_of("[toolchain]\n[experiment]\nequiv_prove = 86401\n") ==
          "exp.toml:3: experiment.equiv_prove: value 86401 is out of range [0, 86400]");
    CHECK(error_of("[experiment]\nequiv_prove = \"60 s\"\n")
              .rfind("exp.toml:2: experiment.equiv_prove: ", 0) == 0);
    CHECK(parse("[experiment]\n[toolchain]\n").equiv_prove_s == 0);
    auto proving = parse("[experiment]\nequiv_prove = 120\n[toolchain]\n");
    CHECK(proving.equiv_prove_s == 120);
    CHECK(ids_of(proving.runs) == ids_of(parse("[experiment]\n[toolchain]\n").runs));
    CHECK(error_of("[experiment]\n[training]\n") ==
          "exp.toml:2: training: unknown table (valid tables: experiment, toolchain, train)");
    CHECK(error_of("[experiment]\nname = \"x\"\n") ==
          "exp.toml:1: experiment.domains: no domain to run: add a [toolchain] or [train] table "
          "or list domains");
}

TEST_CASE("a huge grid is refused before it is built, naming the study's line") {
    // 1000 x 64 x 2 x 10 = 1.28 million runs: counted, not materialised.
    CHECK(error_of("[experiment]\ndesign = \"grid\"\n[toolchain]\n"
                   "[[toolchain.vary]]\nfactor = \"seed\"\nfrom = 1\nto = 1000\n"
                   "[[toolchain.vary]]\nfactor = \"threads\"\nfrom = 1\nto = 64\n"
                   "[[toolchain.vary]]\nfactor = \"placer\"\nvalues = [\"heap\", \"sa\"]\n"
                   "[[toolchain.vary]]\nfactor = \"repeat\"\ncount = 10\n") ==
          "exp.toml:14: toolchain.vary[3].values: the plan would have 1280000 runs (a grid of "
          "10 repeats x 1000 x 64 x 2); at most 1000000 runs are allowed in one experiment: "
          "split it into several files");
}

TEST_CASE("a plan is counted before expansion, naming the line and key that make it too big") {
    // 100000 repeats of 100000 values: 10^10 runs, refused from the specs alone. Expanding
    // even a tenth of it would take gigabytes; the peak memory of this process shows it was not.
    CHECK(error_of("[experiment]\nrepeats = 100000\n[toolchain]\n"
                   "[[toolchain.vary]]\nfactor = \"seed\"\nfrom = 1\nto = 100000\n") ==
          "exp.toml:7: toolchain.vary[1].values: the plan would have 10000000000 runs (100000 "
          "values x 100000 repeats); at most 1000000 runs are allowed in one experiment: split "
          "it into several files");
    rusage usage{};
    REQUIRE(::getrusage(RUSAGE_SELF, &usage) == 0);
    CHECK(usage.ru_maxrss < 400 * 1024); // KiB; the old expansion reached 2.5 GB
    // Studies add up: the second one passes the limit and is named, with what came before.
    CHECK(error_of("[toolchain]\n[[toolchain.vary]]\nfactor = \"repeat\"\ncount = 100000\n"
                   "[[toolchain.vary]]\nfactor = \"seed\"\nvalues = [1, 2, 3, 4, 5]\n"
                   "repeats = 100000\n[[toolchain.vary]]\nfactor = \"threads\"\n"
                   "values = [1, 2, 3, 4]\nrepeats = 100000\n[[toolchain.vary]]\n"
                   "factor = \"repeat\"\ncount = 1\n") ==
          "exp.toml:15: toolchain.vary[4].count: the plan would have 1000001 runs (1 repeats, "
          "after 1000000 planned before it); at most 1000000 runs are allowed in one "
          "experiment: split it into several files");
    // The baseline's own repeats count too.
    CHECK_THAT(error_of("[experiment]\nrepeats = 100000\nbaseline_repeats = 100000\n"
                        "[toolchain]\n[[toolchain.vary]]\nfactor = \"seed\"\n"
                        "from = 1\nto = 10\n"),
               Catch::StartsWith("exp.toml:3: experiment.baseline_repeats: the plan would have "
                                 "1100000 runs (100000 baseline repeats, after 1000000 planned "
                                 "before it)"));
}

TEST_CASE("a grid's size cannot overflow the count") {
    // Two axes of 100000 values: 10^10 points, counted in 64 bits (saturating, so no number of
    // axes can wrap round to a small count that would be accepted) and refused at the axis that
    // passes the limit.
    std::string text = "[experiment]\ndesign = \"grid\"\n[train]\n";
    for (const char* factor : {"root_seed", "init_seed"})
        text += std::string("[[train.vary]]\nfactor = \"") + factor + "\"\nfrom = 0\nto = 99999\n";
    text += "[[train.vary]]\nfactor = \"backend\"\nvalues = [\"golden\", \"float-atomic\"]\n";
    CHECK_THAT(error_of(text), Catch::StartsWith("exp.toml:11: train.vary[2].values: the plan "
                                                 "would have 10000000000 runs (a grid of 1 "
                                                 "repeats x 100000 x 100000)"));
}

TEST_CASE("a streamed plan is the same plan, run by run") {
    std::vector<PlannedRun> streamed;
    auto experiment = plan_experiment(kStudies, "exp.toml", fake_domains(), [&](PlannedRun&& run) {
        streamed.push_back(std::move(run));
    });
    CHECK(experiment.runs.empty());
    auto whole = parse(kStudies);
    REQUIRE(ids_of(streamed) == ids_of(whole.runs));
    for (std::size_t i = 0; i < streamed.size(); ++i) {
        CHECK(streamed[i].repeat == whole.runs[i].repeat);
        CHECK(streamed[i].config == whole.runs[i].config);
    }
    // The shard rule from sorted ids alone is shard_runs's.
    std::vector<std::string> sorted = ids_of(whole.runs);
    std::sort(sorted.begin(), sorted.end());
    for (int index = 0; index < 3; ++index) {
        std::vector<std::string> mine;
        for (const auto& run : whole.runs)
            if (in_shard(sorted, run.id, {index, 3}))
                mine.push_back(run.id);
        CHECK(mine == ids_of(shard_runs(whole.runs, {index, 3})));
    }
}

TEST_CASE("NaN and infinity pass no range check") {
    CHECK(error_of("[train]\nlearning_rate = nan\n") ==
          "exp.toml:2: train.learning_rate: value nan is not a finite number");
    CHECK(error_of("[train]\nlearning_rate = inf\n") ==
          "exp.toml:2: train.learning_rate: value inf is not a finite number");
}

TEST_CASE("an optional study that needs what is not installed is skipped with a note") {
    auto domains = fake_domains();
    // The placer "sa" stands for a toolchain root this machine lacks.
    domains[0].check = [](const nlohmann::json& config) {
        if (config["placer"] == "sa")
            throw UnavailableError("config: tools: root 'x' is not installed; install it with "
                                   "scripts/setup-toolchain x");
        if (config["threads"] == 64)
            throw InputError("config: threads: too many");
    };
    std::string text = R"([experiment]
domains = ["toolchain"]
[[toolchain.vary]]
factor = "seed"
values = [1, 2]
[[toolchain.vary]]
factor = "placer"
values = ["heap", "sa"]
optional = true
[[toolchain.vary]]
factor = "repeat"
count = 2
with = { placer = "sa" }
optional = true
)";
    auto experiment = parse_experiment(text, "exp.toml", domains);
    CHECK(experiment.runs.size() == 2); // only the seed study
    REQUIRE(experiment.notes.size() == 2);
    CHECK_THAT(experiment.notes[0],
               Catch::StartsWith("exp.toml:6: toolchain/placer: skipped: config: tools:") &&
                   Catch::Contains("scripts/setup-toolchain x"));
    CHECK_THAT(experiment.notes[1], Catch::StartsWith("exp.toml:10: toolchain/repeat: skipped"));

    // Without `optional` the missing root is an input error naming the study's line.
    std::string strict = text.substr(0, text.find("optional = true"));
    CHECK_THROWS_WITH(parse_experiment(strict, "exp.toml", domains),
                      Catch::StartsWith("exp.toml:6: toolchain.vary:") &&
                          Catch::Contains("not installed"));
    // `optional` skips only what is missing: any other bad value is still an error.
    std::string bad = R"([experiment]
domains = ["toolchain"]
[[toolchain.vary]]
factor = "threads"
values = [1, 64]
optional = true
)";
    CHECK_THROWS_WITH(parse_experiment(bad, "exp.toml", domains), Catch::Contains("too many"));
    CHECK_THROWS_WITH(parse_experiment(R"([experiment]
domains = ["toolchain"]
[[toolchain.vary]]
factor = "seed"
values = [1]
optional = "yes"
)",
                                       "exp.toml", domains),
                      Catch::Contains("exp.toml:6: toolchain.vary[1].optional: expected true"));
}
