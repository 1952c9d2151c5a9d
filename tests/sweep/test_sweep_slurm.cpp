// A real Slurm array: scripts/slurm-local starts a single-node cluster, `detlab slurm` writes the
// array script, sbatch runs it, `detlab merge` joins the shards.
#include "cli_helpers.h"
#include "db/store.h"
#include "tests/skip.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

using namespace detlab;
using namespace detlab::sweep::testing;

namespace {

const char* kSweep = R"([experiment]
name = "slurm"
[toolchain]
[[toolchain.vary]]
factor = "seed"
values = [1, 2, 3]
[train]
epochs = 1
array = 2
train_size = 200
test_size = 100
[[train.vary]]
factor = "init_seed"
values = [1, 2]
)";
constexpr std::size_t kRuns = 5;

// Stops the local cluster however the test ends.
struct LocalSlurm {
    std::map<std::string, std::string> env;
    explicit LocalSlurm(const std::filesystem::path& dir)
        : env{{"DETLAB_SLURM_DIR", (dir / "cluster").string()},
              {"DETLAB_SLURM_PORT", "26817"},
              {"SLURM_CONF", (dir / "cluster/slurm.conf").string()}} {}
    Outcome run(std::vector<std::string> argv, const std::filesystem::path& dir) const {
        return run_argv(std::move(argv), dir, env);
    }
    ~LocalSlurm() {
        run({(source_root() / "scripts/slurm-local").string(), "stop"},
            std::filesystem::temp_directory_path());
    }
};

} // namespace

TEST_CASE("a Slurm array runs every shard and the merge holds every run once") {
    if (process::find_executable("slurmctld").empty() &&
        !std::filesystem::exists("/usr/sbin/slurmctld")) {
        detlab_skip("slurm-wlm is not installed (apt-get install slurm-wlm munge)");
    }
    auto dir = fresh_test_dir("slurm");
    write_file(dir / "exp.toml", kSweep);
    LocalSlurm slurm(dir);
    auto start = slurm.run({(source_root() / "scripts/slurm-local").string(), "start"}, dir);
    INFO(start.out + start.err);
    REQUIRE(start.code == 0);

    auto script = run_detlab({"slurm", "exp.toml", "--shards", "2", "--cpus", "1", "--db",
                              (dir / "out.db").string(), "--out", "exp.sbatch"},
                             dir);
    INFO(script.out + script.err);
    REQUIRE(script.code == 0);
    auto submit = slurm.run({"sbatch", "--parsable", "exp.sbatch"}, dir);
    INFO(submit.out + submit.err);
    REQUIRE(submit.code == 0);
    std::string job = submit.out.substr(0, submit.out.find_first_of(";\n"));

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
    while (true) {
        auto queue = slurm.run({"squeue", "-h", "-j", job}, dir);
        if (queue.code == 0 && queue.out.empty())
            break;
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    for (const char* shard : {"out.shard-0.db", "out.shard-1.db"}) {
        INFO(shard);
        REQUIRE(std::filesystem::exists(dir / shard));
    }
    auto merge = run_detlab({"merge", "out.db", "out.shard-0.db", "out.shard-1.db"}, dir);
    INFO(merge.out + merge.err);
    REQUIRE(merge.code == 0);

    db::Store store(dir / "out.db");
    auto rows = store.runs();
    std::set<std::string> ids;
    for (const auto& row : rows) {
        ids.insert(row.config_id);
        CHECK(row.status == "done");
    }
    CHECK(rows.size() == kRuns);
    CHECK(ids.size() == kRuns); // one observation of every configuration
    auto listed = run_detlab({"run", "exp.toml", "--list"}, dir);
    for (const auto& id : ids)
        CHECK(listed.out.find(id) != std::string::npos);
    CHECK(run_detlab({"db", "check", "--db", "out.db"}, dir).code == 0);
}
