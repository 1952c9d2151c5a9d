// The native simulator on real bitstreams of the small configuration (2x2 array, HX1K): it
// agrees with iverilog on the same vectors, it and iverilog both catch a flipped LUT bit and
// swapped RAM data bits, a second design (tests/equiv/designs/crc_top.v) is checked against its
// own synthesis by random stimulus and its mutant caught, and a sweep with the experiment key
// equiv_vectors gives every toolchain study a verdict.
#include "analysis/analysis.h"
#include "harness/equiv/equiv.h"
#include "harness/process/process.h"
#include "harness/sweep/sweep.h"
#include "harness/toolchain/toolchain.h"
#include "tests/equiv/scratch.h"

#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

std::string artifact_text(const db::RunResult& run, const std::string& name) {
    for (const auto& a : run.artifacts)
        if (a.name == name)
            return {a.bytes.begin(), a.bytes.end()};
    FAIL("run has no " << name);
    return {};
}

std::string run_tool(const std::vector<std::string>& argv, const fs::path& cwd) {
    process::Spec spec;
    spec.argv = argv;
    spec.cwd = cwd;
    spec.timeout = std::chrono::minutes(10);
    auto result = process::run(spec);
    INFO(argv[0] << ": " << result.err);
    REQUIRE(result.ok());
    return result.out;
}

// One small build (seed 1, the default configuration) in the test's own scratch directory:
// ctest runs the test cases as parallel processes.
db::RunResult seed_one_build(const Scratch& scratch) {
    observation::Context context{nullptr, scratch.dir / "work", "test", nullptr};
    return toolchain::run_build({{"seed", 1}}, 0, context);
}

equiv::CheckOptions with(equiv::Simulator simulator, int vectors,
                         std::function<std::string(const std::string&)> edit = {}) {
    equiv::CheckOptions options;
    options.simulator = simulator;
    options.vectors = vectors;
    options.netlist_edit = std::move(edit);
    return options;
}

} // namespace

TEST_CASE("the native simulator gives iverilog's outputs on the same vectors") {
    Scratch scratch("equiv-native-iverilog");
    auto run = seed_one_build(scratch);
    REQUIRE(run.status == db::kStatusDone);
    auto asc = artifact_text(run, "bitstream.asc");
    auto board = equiv::board_from_config(nlohmann::json::parse(run.config_json));
    auto native = equiv::check_bitstream(asc, board, with(equiv::Simulator::native, 5));
    auto iverilog = equiv::check_bitstream(asc, board, with(equiv::Simulator::iverilog, 5));
    CHECK(native.outputs.size() == 5 * 4);
    CHECK(native.outputs == iverilog.outputs);
    CHECK(native.mismatches == 0);
    CHECK(iverilog.mismatches == 0);

    // The full set: 256 vectors, no difference, and most of the circuit toggled.
    auto full = equiv::check_bitstream(asc, board, with(equiv::Simulator::native, 256));
    CHECK(full.verdict == equiv::Verdict::no_difference);
    CHECK(full.vectors == 256);
    CHECK(full.rate_bound == Approx(equiv::mismatch_rate_bound(256)));
    CHECK(full.toggle_ff > 0.5);
    CHECK(full.toggle_lut > 0.5);
    CHECK(full.timing.runs == 4); // 64 vectors a pass
}

TEST_CASE("every simulator catches a flipped LUT bit and swapped RAM data bits") {
    Scratch scratch("equiv-native-mutants");
    auto run = seed_one_build(scratch);
    REQUIRE(run.status == db::kStatusDone);
    auto asc = artifact_text(run, "bitstream.asc");
    auto board = equiv::board_from_config(nlohmann::json::parse(run.config_json));
    write_file(scratch.dir / "b.asc", asc);
    auto netlist = run_tool({"icebox_vlog", "-s", "-p", board.pcf.string(), "b.asc"}, scratch.dir);
    auto luts = equiv::used_luts(netlist);
    REQUIRE(luts.size() > 20);

    // The first LUT flip (spread over the design) the native check catches with 256 vectors;
    // iverilog must catch the same wrong bitstream with the vectors that showed it.
    bool lut_caught = false;
    for (int attempt = 0; attempt < 8 && !lut_caught; ++attempt) {
        const auto& site = luts[luts.size() * static_cast<std::size_t>(attempt) / 8];
        auto wrong = equiv::flip_lut_bit(asc, site, 0);
        auto native = equiv::check_bitstream(wrong, board, with(equiv::Simulator::native, 256));
        if (native.verdict != equiv::Verdict::differs)
            continue;
        lut_caught = true;
        int needed = native.mismatched.front() + 1;
        INFO("LUT " << site.x << " " << site.y << " " << site.index << ", first vector "
                    << needed - 1);
        auto iverilog = equiv::check_bitstream(
            wrong, board, with(equiv::Simulator::iverilog, std::min(needed, 6)));
        if (needed <= 6)
            CHECK(iverilog.mismatches > 0);
    }
    CHECK(lut_caught);

    // Crossed RAM data wires: bits 0 and 1 of the first block RAM's write data swapped.
    auto swap = [](const std::string& v) {
        return equiv::swap_ram_data_bits(v, 0, 0, 1);
    };
    CHECK(swap(netlist) != netlist);
    CHECK_THROWS_AS(equiv::swap_ram_data_bits(netlist, 9, 0, 1), std::invalid_argument);
    auto native = equiv::check_bitstream(asc, board, with(equiv::Simulator::native, 256, swap));
    CHECK(native.verdict == equiv::Verdict::differs);
    auto iverilog = equiv::check_bitstream(asc, board, with(equiv::Simulator::iverilog, 3, swap));
    CHECK(iverilog.mismatches > 0);
}

TEST_CASE("a second design is checked against its own synthesis and its mutant is caught") {
    Scratch scratch("equiv-native-design");
    const fs::path design = fs::path(DETLAB_SOURCE_ROOT) / "tests" / "equiv" / "designs";
    const fs::path pcf = design / "pcf" / "hx1k.pcf";
    run_tool({"yosys", "-q", "-p",
              "read_verilog " + (design / "crc_top.v").string() +
                  "; synth_ice40 -top crc_top -json crc.json"},
             scratch.dir);
    run_tool({"nextpnr-ice40", "--hx1k", "--package", "tq144", "--pcf", pcf.string(), "--json",
              "crc.json", "--asc", "crc.asc", "--seed", "1", "-q"},
             scratch.dir);
    auto asc = read_file_text(scratch.dir / "crc.asc");
    auto synthesised = nlohmann::json::parse(read_file_text(scratch.dir / "crc.json"));

    equiv::DesignCheckOptions options;
    options.stimuli = 128;
    options.cycles = 200;
    auto good = equiv::check_against_synthesis(asc, pcf, synthesised, "crc_top", options);
    INFO(good.reason);
    CHECK(good.verdict == equiv::Verdict::no_difference);
    CHECK(good.vectors == 128);
    CHECK(good.toggle_ff > 0.9);

    // Reset held high: the state never leaves zero, and still both netlists agree.
    options.hold = {{"rst", true}};
    auto held = equiv::check_against_synthesis(asc, pcf, synthesised, "crc_top", options);
    CHECK(held.verdict == equiv::Verdict::no_difference);
    CHECK(held.toggle_ff < good.toggle_ff);
    options.hold = {{"reset_n", false}};
    CHECK_THROWS_AS(equiv::check_against_synthesis(asc, pcf, synthesised, "crc_top", options),
                    InputError);
    options.hold.clear();

    // A flipped LUT bit in the bitstream: caught within the first few used LUTs.
    auto netlist = run_tool({"icebox_vlog", "-s", "-p", pcf.string(), "crc.asc"}, scratch.dir);
    auto luts = equiv::used_luts(netlist);
    REQUIRE(luts.size() >= 4);
    int caught = 0;
    for (std::size_t i = 0; i < luts.size() && i < 4; ++i) {
        auto wrong = equiv::flip_lut_bit(asc, luts[i], 0);
        auto result = equiv::check_against_synthesis(wrong, pcf, synthesised, "crc_top", options);
        caught += result.verdict == equiv::Verdict::differs;
    }
    CHECK(caught >= 1);

    // The accelerator's check on this design's bitstream cannot run: recorded, not failed.
    db::RunResult run;
    run.status = db::kStatusDone;
    run.add_artifact("bitstream.asc", Bytes(asc.begin(), asc.end()));
    equiv::check_toolchain_run(run, {{"array", 2}, {"device", "hx1k"}, {"rtl_dir", design}},
                               with(equiv::Simulator::automatic, 8));
    CHECK(run.status == db::kStatusDone);
    auto verdict = equiv::run_verdict(run);
    REQUIRE(verdict);
    CHECK(verdict->verdict == equiv::Verdict::not_checked);
    CHECK_THAT(verdict->reason, Catch::Contains("spi_sck"));
    CHECK_THAT(equiv::describe(*verdict), Catch::StartsWith("not checked: "));
}

TEST_CASE("a sweep with equiv_vectors checks every build and detlab equiv --experiment resumes") {
    Scratch scratch("equiv-native-sweep");
    const auto& domains = sweep::builtin_domains();
    auto experiment = sweep::parse_experiment(R"(
[experiment]
name = "checked"
equiv_vectors = 64
[toolchain]
array = 2
device = "hx1k"
[[toolchain.vary]]
factor = "seed"
values = [1, 2]
)",
                                              "checked.toml", domains);
    REQUIRE(experiment.equiv_vectors == 64);
    sweep::RunOptions options;
    options.db_path = scratch.dir / "runs.db";
    options.jobs = 2;
    auto summary = sweep::run_sweep(experiment, domains, options);
    CHECK(summary.done == 2);
    db::Store store(options.db_path);
    db::RunFilter filter;
    filter.experiment = "checked";
    auto rows = store.runs(filter);
    REQUIRE(rows.size() == 2);
    for (const auto& row : rows) {
        auto verdict = equiv::stored_check(store, row.id);
        REQUIRE(verdict);
        CHECK(verdict->verdict == equiv::Verdict::no_difference);
        CHECK(verdict->vectors == 64);
    }
    // Two seeds: different bitstreams, the same outputs on every vector.
    CHECK(store.artifact_bytes(rows[0].id, "bitstream.bin") !=
          store.artifact_bytes(rows[1].id, "bitstream.bin"));
    CHECK(store.artifact_bytes(rows[0].id, "equiv_outputs.bin") ==
          store.artifact_bytes(rows[1].id, "equiv_outputs.bin"));
    // The study's functional distance is measured (0) and its verdict is in words.
    auto compared = analysis::comparison_rows(analysis::analyse(store, std::string("checked")));
    REQUIRE(compared.size() == 1);
    REQUIRE(compared[0].correctness_mismatch.value);
    CHECK(*compared[0].correctness_mismatch.value == 0);
    CHECK_THAT(compared[0].equivalence, Catch::StartsWith("2/2 no difference in 64 vectors"));

    // An experiment run without the key is checked afterwards, and a second pass does nothing.
    auto later = sweep::parse_experiment("[experiment]\nname = \"later\"\n[toolchain]\nseed = 3\n",
                                         "later.toml", domains);
    sweep::run_sweep(later, domains, options);
    auto before = analysis::comparison_rows(analysis::analyse(store, std::string("later")));
    REQUIRE(before.size() == 1);
    CHECK_THAT(before[0].equivalence, Catch::Contains("not checked: no check ran"));
    auto first = equiv::check_experiment(store, "later", with(equiv::Simulator::automatic, 16));
    CHECK(first.runs == 1);
    CHECK(first.checked == 1);
    auto second = equiv::check_experiment(store, "later", with(equiv::Simulator::automatic, 16));
    CHECK(second.checked == 0);
    CHECK(second.already == 1);
    CHECK(store.check().ok);
}
