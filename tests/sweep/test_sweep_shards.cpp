// Shards of a plan, Slurm's array variables and the sbatch script.
#include "plan_helpers.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>

using namespace detlab;
using namespace detlab::sweep;
using namespace detlab::sweep::testing;

TEST_CASE("shards split the runs so each run is in exactly one") {
    auto runs = parse(kStudies).runs;
    for (int count = 1; count <= 5; ++count) {
        std::multiset<std::string> seen;
        std::size_t smallest = runs.size(), largest = 0;
        for (int index = 0; index < count; ++index) {
            auto mine = shard_runs(runs, {index, count});
            smallest = std::min(smallest, mine.size());
            largest = std::max(largest, mine.size());
            for (const auto& run : mine)
                seen.insert(run.id);
            CHECK(ids_of(mine) == ids_of(shard_runs(runs, {index, count})));
        }
        CHECK(seen.size() == runs.size());
        for (const auto& run : runs)
            CHECK(seen.count(run.id) == 1);
        CHECK(largest - smallest <= 1);
    }
    CHECK(parse_shard("2/4").index == 2);
    CHECK(parse_shard("2/4").count == 4);
    CHECK_THROWS_WITH(parse_shard("4/4"), Catch::Contains("is not I/N with 0 <= I < N"));
    CHECK_THROWS_AS(parse_shard("x"), InputError);
    CHECK(shard_db_path("out/detlab.db", {2, 4}) == "out/detlab.shard-2.db");
    CHECK(shard_db_path("out/detlab.db", {0, 1}) == "out/detlab.db");
}

TEST_CASE("Slurm array variables select the shard") {
    ::setenv("SLURM_ARRAY_TASK_ID", "5", 1);
    ::setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
    ::setenv("SLURM_ARRAY_TASK_MIN", "4", 1);
    auto shard = shard_from_environment();
    REQUIRE(shard);
    CHECK(shard->index == 1);
    CHECK(shard->count == 3);
    ::unsetenv("SLURM_ARRAY_TASK_ID");
    CHECK_FALSE(shard_from_environment());
    ::unsetenv("SLURM_ARRAY_TASK_COUNT");
    ::unsetenv("SLURM_ARRAY_TASK_MIN");
}

TEST_CASE("the sbatch script runs one shard per array task") {
    SlurmOptions options;
    options.experiment = "/data/exp's.toml";
    options.detlab_binary = "/opt/detlab";
    options.db_path = "/data/out/detlab.db";
    options.log_dir = "/data/out";
    options.job_name = "detlab-t";
    options.shards = 4;
    options.partition = "short";
    auto script = sbatch_script(options);
    CHECK(script.rfind("#!/bin/bash\n", 0) == 0);
    CHECK(script.find("#SBATCH --array=0-3\n") != std::string::npos);
    CHECK(script.find("#SBATCH --partition=short\n") != std::string::npos);
    CHECK(script.find("#SBATCH --output=/data/out/%x-%A_%a.out\n") != std::string::npos);
    CHECK(script.find("exec '/opt/detlab' run '/data/exp'\\''s.toml' --db '/data/out/detlab.db'") !=
          std::string::npos);
    CHECK(script.find("detlab merge /data/out/detlab.db /data/out/detlab.shard-*.db") !=
          std::string::npos);
    options.partition = "a b";
    CHECK_THROWS_AS(sbatch_script(options), InputError);
}
