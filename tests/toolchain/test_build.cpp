// Builds with the real tools on the small configuration (2x2 array on an HX1K).
#include "db/store.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"

#include <catch2/catch.hpp>
#include <thread>

using namespace detlab;

namespace {

struct Scratch {
    std::filesystem::path dir = make_temp_dir("toolchain", DETLAB_TEST_TMP);
    ~Scratch() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

const db::Artifact* find_artifact(const db::RunResult& run, const std::string& name) {
    for (const auto& artifact : run.artifacts)
        if (artifact.name == name)
            return &artifact;
    return nullptr;
}

std::optional<double> find_metric(const db::RunResult& run, const std::string& key) {
    for (const auto& metric : run.metrics)
        if (metric.key == key)
            return metric.value;
    return std::nullopt;
}

std::string find_param(const db::RunResult& run, const std::string& key) {
    for (const auto& [name, value] : run.params)
        if (name == key)
            return value;
    return "";
}

// SHA-256 of an artifact (comparing hashes keeps a failure message short).
std::string sha_of(const db::RunResult& run, const std::string& name) {
    auto* artifact = find_artifact(run, name);
    return artifact ? sha256_hex(artifact->bytes) : "missing " + name;
}

// A copy of the test fixture with a syntax error in its top module.
std::filesystem::path broken_rtl(const std::filesystem::path& under) {
    auto fixture = source_root() / "tests/toolchain/fixtures/mac";
    auto dir = under / "broken-rtl";
    std::filesystem::copy(fixture, dir, std::filesystem::copy_options::recursive);
    write_file(dir / "detlab_top.v", read_file_text(fixture / "detlab_top.v") +
                                         "\nmodule oops (input wire a\n    wire b;\nendmodule\n");
    return dir;
}

// Processes whose working directory lies under `marker` (their cwd link names it even after
// the directory is deleted).
std::vector<std::string> processes_in(const std::string& marker) {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::error_code ec;
        auto cwd = std::filesystem::read_symlink(entry.path() / "cwd", ec);
        if (!ec && cwd.string().find(marker) != std::string::npos)
            found.push_back(entry.path().filename().string());
    }
    return found;
}

} // namespace

TEST_CASE("same seed twice is bit-identical, another seed differs with the same cells") {
    Scratch scratch;
    db::Store store(scratch.dir / "runs.db");
    observation::Context context{&store, scratch.dir / "work", "test", nullptr};

    auto first = toolchain::run_build({{"seed", 1}}, 0, context);
    INFO(first.message);
    REQUIRE(first.status == db::kStatusDone);
    store.record_run(first);
    // A repeat re-runs every stage, yosys included.
    auto again = toolchain::run_build({{"seed", 1}, {"reuse_synthesis", false}}, 1, context);
    REQUIRE(again.status == db::kStatusDone);
    // Another seed reuses the cached netlist and only places and routes anew.
    auto other = toolchain::run_build({{"seed", 2}}, 0, context);
    REQUIRE(other.status == db::kStatusDone);

    CHECK(find_param(first, "synthesis_reused") == "false");
    CHECK(find_param(again, "synthesis_reused") == "false");
    CHECK(find_param(other, "synthesis_reused") == "true");
    CHECK(sha_of(first, "bitstream.bin") == sha_of(again, "bitstream.bin"));
    CHECK(sha_of(first, "netlist.json") == sha_of(again, "netlist.json"));
    CHECK(sha_of(first, "bitstream.bin") != sha_of(other, "bitstream.bin"));
    CHECK(sha_of(other, "netlist.json") == sha_of(first, "netlist.json"));
    CHECK(find_metric(first, db::metric::kLogicCells) ==
          find_metric(other, db::metric::kLogicCells));
    CHECK(first.id != again.id);

    // Every stage is recorded, and QoR is read from both timing tools.
    for (const char* stage : {"yosys", "nextpnr", "icepack", "icetime"}) {
        CHECK(find_metric(first, db::metric::stage_wall_s(stage)));
        CHECK(find_metric(first, db::metric::stage_max_rss_kib(stage)) > 0);
        CHECK(first.provenance.count(std::string("argv.") + stage));
        CHECK(find_artifact(first, std::string(stage) + ".log"));
    }
    CHECK(find_metric(other, db::metric::stage_wall_s("yosys")) == std::nullopt);
    CHECK(find_metric(first, db::metric::kFmaxMhz) > 12.0);
    CHECK(find_metric(first, db::metric::kFmaxIcetimeMhz) > 0);
    CHECK(find_metric(first, db::metric::kLogicCells) > 100);
    CHECK(find_metric(first, db::metric::kIoCells) == 5);
    CHECK(find_metric(first, db::metric::kHarnessOverheadS) > 0);
    CHECK(find_param(first, "seed") == "1");
    CHECK(find_param(first, "device") == "hx1k");
    auto stored = store.artifact_bytes(first.id, "bitstream.bin");
    REQUIRE(stored);
    CHECK(sha256_hex(*stored) == sha_of(first, "bitstream.bin"));
    CHECK_FALSE(std::filesystem::exists(scratch.dir / "work" / first.id)); // cleaned up
}

TEST_CASE(
    "invalid RTL fails the run with yosys's own error and the CLI refuses it before writing") {
    Scratch scratch;
    auto rtl = broken_rtl(scratch.dir);
    observation::Context context;
    context.work_root = scratch.dir / "work";
    auto run = toolchain::run_build({{"rtl_dir", rtl.string()}}, 0, context);
    CHECK(run.status == db::kStatusFailed);
    CHECK(find_param(run, "failed_stage") == "yosys");
    CHECK_THAT(run.message, Catch::Contains("ERROR:") && Catch::Contains("syntax error"));
    CHECK(find_artifact(run, "yosys.log"));
    CHECK_FALSE(find_artifact(run, "bitstream.bin"));

    // The CLI checks the design with yosys before anything is written: exit 2 with yosys's
    // own error line, and no database is created.
    auto db_path = scratch.dir / "cli.db";
    process::Spec cli;
    cli.argv = {DETLAB_BINARY, "synth",         "--rtl-dir",
                rtl.string(),  "--work-dir",    (scratch.dir / "cli-work").string(),
                "--db",        db_path.string()};
    auto shown = process::run(cli);
    CHECK(shown.exit_code == 2);
    CHECK_THAT(shown.err, Catch::Contains("sources.txt") && Catch::Contains("syntax error"));
    CHECK_FALSE(std::filesystem::exists(db_path));
}

TEST_CASE("a stage timeout marks the run timeout and leaves no process behind") {
    Scratch scratch;
    observation::Context context;
    context.work_root = scratch.dir / "work";
    std::string marker = "timeout-probe-" + std::to_string(::getpid());
    auto run = toolchain::run_build(
        {{"rtl_dir", (source_root() / "tests/toolchain/fixtures/mac").string()},
         {"stage_timeout_s", 0.05},
         {"build_path", marker}},
        0, context);
    CHECK(run.status == db::kStatusTimeout);
    CHECK(find_param(run, "failed_stage") == "yosys");
    CHECK_THAT(run.message, Catch::StartsWith("yosys timed out after"));
    bool none_left = false;
    for (int attempt = 0; attempt < 50 && !none_left; ++attempt) {
        none_left = processes_in(marker).empty();
        if (!none_left)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(none_left);
}

TEST_CASE("the synth command rejects bad keys and values with exit code 2") {
    Scratch scratch;
    auto db_path = (scratch.dir / "bad.db").string();
    process::Spec spec;
    spec.argv = {DETLAB_BINARY, "synth", "--set", "sed=3", "--db", db_path};
    auto unknown = process::run(spec);
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Catch::Contains("sed") && Catch::Contains("valid keys: array"));
    spec.argv = {DETLAB_BINARY, "synth", "--placer", "annealing", "--db", db_path};
    auto bad_value = process::run(spec);
    CHECK(bad_value.exit_code == 2);
    CHECK_THAT(bad_value.err, Catch::Contains("heap, sa"));
    CHECK_FALSE(std::filesystem::exists(db_path));
}

TEST_CASE("a hanging tool costs no more than the stage limit in its version probe") {
    Scratch scratch;
    // A yosys that hangs whatever it is asked, -V included, first on PATH.
    auto bin = scratch.dir / "bin";
    std::filesystem::create_directories(bin);
    write_file(bin / "yosys", std::string_view("#!/bin/sh\nexec sleep 300\n"));
    std::filesystem::permissions(bin / "yosys", std::filesystem::perms::owner_all);
    std::string path = bin.string() + ":" + std::getenv("PATH");
    ::setenv("PATH", path.c_str(), 1); // this test's own process only
    observation::Context context;
    context.work_root = scratch.dir / "work";
    auto run = toolchain::run_build(
        {{"rtl_dir", (source_root() / "tests/toolchain/fixtures/mac").string()},
         {"stage_timeout_s", 0.5}},
        0, context);
    CHECK(run.status == db::kStatusTimeout);
    CHECK(find_param(run, "failed_stage") == "yosys");
    // The probe was cut at the stage limit (0.5 s), not at its own 20 s. The message gives the
    // measured wall time, which a loaded machine stretches past 0.5 (0.628 seen): the bound
    // only has to tell the two limits apart.
    const std::string& probe = run.provenance.at("tool.yosys");
    auto at = probe.find("timed out after ");
    REQUIRE(at != std::string::npos);
    double waited = std::stod(probe.substr(at + 16));
    CHECK(waited >= 0.5);
    CHECK(waited < 10.0);
}

TEST_CASE("a nextpnr whose help is cut mid-line gives a recorded failure, not an exception") {
    Scratch scratch;
    // A fake nextpnr-ice40 first on PATH: its --help is the real 0.4 text cut in the middle of
    // an option's line (no final newline), its --version answers, and it cannot place and route.
    auto bin = scratch.dir / "bin";
    std::filesystem::create_directories(bin);
    std::string help =
        read_file_text(source_root() / "tests/toolchain/fixtures/nextpnr-ice40-0.4-help.txt");
    auto cut = help.find("--placer");
    REQUIRE(cut != std::string::npos);
    write_file(bin / "help.txt", std::string_view(help).substr(0, cut + 5));
    write_file(bin / "nextpnr-ice40",
               "#!/bin/sh\n"
               "case \"$1\" in\n"
               "  --help) cat \"$(dirname \"$0\")/help.txt\"; exit 0 ;;\n"
               "  --version) echo 'nextpnr-ice40 -- Next Generation Place and Route (Version "
               "fake)'; exit 0 ;;\n"
               "esac\n"
               "echo 'fake nextpnr: no place and route here' >&2\n"
               "exit 1\n");
    std::filesystem::permissions(bin / "nextpnr-ice40", std::filesystem::perms::owner_all);
    std::string path = bin.string() + ":" + std::getenv("PATH");
    ::setenv("PATH", path.c_str(), 1); // this test's own process only
    observation::Context context;
    context.work_root = scratch.dir / "work";
    db::RunResult run;
    REQUIRE_NOTHROW(
        run = toolchain::run_build(
            {{"rtl_dir", (source_root() / "tests/toolchain/fixtures/mac").string()}}, 0, context));
    // Before the fix the cut help's few options made the build refuse --threads as missing
    // (an InputError thrown out of run_build); now the probe is unknown and nextpnr's own
    // failure is the recorded outcome.
    CHECK(run.status == db::kStatusFailed);
    CHECK(find_param(run, "failed_stage") == "nextpnr");
    CHECK_THAT(run.message, Catch::Contains("fake nextpnr: no place and route here"));
}
