// The framework's version as a factor through a tool root (label toolchain2): the tiny PyTorch
// program runs once with the host's /usr/bin/python3 (Debian 12, PyTorch 1.13) and once inside
// the trixie root (Debian 13, PyTorch 2.6, scripts/setup-pytorch-root trixie), and each run
// records the framework that trained it in its provenance and params.
#include "db/store.h"
#include "harness/sweep/sweep.h"
#include "harness/toolchain/toolchain.h"
#include "tests/skip.h"

#include <catch2/catch.hpp>
#include <filesystem>

namespace fs = std::filesystem;
using namespace detlab;

TEST_CASE("a run under each framework root records its framework version") {
    auto root = toolchain::toolchains_dir() / "trixie";
    if (!fs::exists(root / ".detlab-pytorch"))
        detlab_skip("no PyTorch in the trixie root (scripts/setup-pytorch-root trixie)");
    auto dir = fs::path(DETLAB_TEST_TMP) / "program-roots";
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto program = fs::path(DETLAB_SOURCE_ROOT) / "tests" / "program" / "tiny";
    auto experiment = sweep::parse_experiment(
        "[experiment]\nname = \"roots\"\n[program]\nprogram_dir = \"" + program.string() +
            "\"\nepochs = 2\nbatch_size = 20\nlearning_rate = 0.1\nclasses = 3\nwidth = 16\n"
            "time_limit_s = 300\n"
            // A data folder under the root's own /usr (as Debian's data sets are): bound at
            // /detlab/data_dir inside, since bwrap cannot make a mount point in a read-only /usr.
            "data_dir = \"/usr/share/doc/python3-torch\"\n[[program.vary]]\nfactor = \"tools\"\n"
            "values = [\"system\", \"trixie\"]\n",
        "roots.toml", sweep::builtin_domains());
    sweep::RunOptions options;
    options.db_path = dir / "detlab.db";
    options.jobs = 1;
    auto summary = sweep::run_sweep(experiment, sweep::builtin_domains(), options);
    REQUIRE(summary.failed == 0);
    REQUIRE(summary.done == 2);

    db::Store store(dir / "detlab.db");
    std::map<std::string, std::map<std::string, std::string>> by_tools;
    for (const auto& row : store.runs()) {
        auto provenance = store.provenance(row.id);
        auto& seen = by_tools[provenance.at("program.tools")];
        seen = {provenance.begin(), provenance.end()};
        for (const auto& [key, value] : store.params(row.id))
            seen["param." + key] = value;
    }
    REQUIRE(by_tools.size() == 2);
    const auto& host = by_tools.at("system");
    const auto& trixie = by_tools.at("trixie");
    // What torch.__version__ said inside each run, not what the experiment file claimed.
    CHECK(host.at("program.framework_version").rfind("1.13", 0) == 0);
    CHECK(trixie.at("program.framework_version").rfind("2.6", 0) == 0);
    CHECK(host.at("param.framework") == "PyTorch 1.13");
    CHECK(trixie.at("param.framework") == "PyTorch 2.6");
    CHECK(host.at("program.tools_root") == "system");
    CHECK(trixie.at("program.tools_root") == root.string());
    CHECK(host.at("program.interpreter_version").rfind("Python 3.11", 0) == 0);
    CHECK(trixie.at("program.interpreter_version").rfind("Python 3.13", 0) == 0);
    CHECK_THAT(trixie.at("program.argv"), Catch::Contains("bwrap"));
    CHECK_THAT(trixie.at("program.argv"), Catch::Contains("\"/detlab/data_dir\""));
}
