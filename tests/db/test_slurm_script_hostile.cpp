// The sbatch script `detlab slurm` writes, run by the real bash with hostile paths: a newline or
// quote in the experiment file's name or the --db path runs nothing but detlab (here: a stand-in
// that prints its arguments), and an experiment name that is not a plain file name cannot name
// the script.
#include "harness/process/process.h"
#include "harness/sweep/sweep.h"
#include "tests/db/helpers.h"

#include <catch2/catch.hpp>

using namespace detlab;
using test::fresh_dir;
namespace fs = std::filesystem;

TEST_CASE("a slurm script from an experiment and db path with newlines runs nothing unintended") {
    auto dir = fresh_dir("slurm-hostile");
    auto marker = dir / "INJECTED";
    std::string inject = "\ntouch " + marker.string() + "\n";
    sweep::SlurmOptions options;
    options.experiment = (dir / ("exp" + inject + "'$(touch " + marker.string() + ")'.toml"));
    options.detlab_binary = "/bin/echo"; // prints exactly the arguments it was given
    options.db_path = dir / ("db" + inject + "x.db");
    options.log_dir = dir;
    options.job_name = "detlab-hostile";
    auto script = sweep::sbatch_script(options);
    write_file(dir / "job.sbatch", script);

    process::Spec spec;
    spec.argv = {"bash", (dir / "job.sbatch").string()};
    spec.cwd = dir;
    spec.timeout = std::chrono::seconds(60);
    auto result = process::run(spec);
    INFO(script);
    CHECK(result.exit_code == 0);
    CHECK_FALSE(fs::exists(marker));
    // Each value reached the program whole, as one argument each.
    CHECK(result.out == "run " + options.experiment.string() + " --db " + options.db_path.string() +
                            " --jobs 1 --no-progress\n");
    options.job_name = "bad\nname";
    CHECK_THROWS_AS(sweep::sbatch_script(options), InputError);
}

TEST_CASE("only a plain name may name a file") {
    for (const char* plain : {"lab", "quick-2", "my sweep", "r.v1"})
        CHECK(is_plain_file_name(plain));
    for (const char* bad : {"", "../esc/evil", "a/b", "..", ".", "x..y", "-rf", "new\nline",
                            "tab\tname", "esc\x1b[31m"})
        CHECK_FALSE(is_plain_file_name(bad));
}
