// The equivalence check of a design as users bring them (tests/toolchain/fixtures/memsoc: an
// include, $readmemh data files, a string parameter, block RAMs in all four modes, a PLL
// clocking the logic, a directly instantiated SB_IO): its bitstream is checked against its
// synthesised netlist with no not_checked, and a wrong RAM initial value or LUT bit in the .asc
// is caught. Real yosys, nextpnr and icebox_vlog on an HX1K.
#include "harness/equiv/equiv.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"
#include "tests/equiv/scratch.h"

#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

const db::Artifact* find_artifact(const db::RunResult& run, const std::string& name) {
    for (const auto& artifact : run.artifacts)
        if (artifact.name == name)
            return &artifact;
    return nullptr;
}

} // namespace

TEST_CASE("memsoc's bitstream has no difference from its netlist and its mutants differ") {
    Scratch scratch("equiv-memsoc");
    const fs::path rtl = fs::path(DETLAB_SOURCE_ROOT) / "tests/toolchain/fixtures/memsoc";
    nlohmann::json partial = {{"rtl_dir", rtl.string()},
                              {"top", "memsoc_top"},
                              {"parameters", {{"memfile", "sw/prog16.hex"}, {"LED_XOR", 2}}},
                              {"include_dirs", {"inc"}},
                              {"data_files", {"sw/prog16.hex", "sw/table8.hex"}}};
    auto config = complete_config(toolchain::config_keys(), partial, "config");
    observation::Context context;
    context.work_root = scratch.dir / "work";
    auto run = toolchain::run_build(config, 0, context);
    INFO(run.message);
    REQUIRE(run.status == db::kStatusDone);

    // The path every sweep and `detlab synth` takes: 128 stimuli of 2100 cycles, so the
    // address counter passes every word of the 2048 x 2 RAM.
    equiv::CheckOptions check;
    check.vectors = 128;
    check.cycles = 2100;
    equiv::check_toolchain_run(run, config, check);
    auto verdict = equiv::run_verdict(run);
    REQUIRE(verdict);
    INFO(verdict->reason);
    CHECK(verdict->verdict == equiv::Verdict::no_difference);
    CHECK(verdict->vectors == 128);
    CHECK(equiv::describe(*verdict) == "no difference in 128 vectors (rate <= 2.3%, 95%)");
    CHECK(verdict->toggle_ff > 0.5);

    auto* asc_artifact = find_artifact(run, db::artifact::kAsc);
    auto* netlist = find_artifact(run, db::artifact::kNetlist);
    REQUIRE(asc_artifact);
    REQUIRE(netlist);
    std::string asc(asc_artifact->bytes.begin(), asc_artifact->bytes.end());
    auto synthesised = nlohmann::json::parse(netlist->bytes.begin(), netlist->bytes.end());
    const fs::path pcf = rtl / "pcf/hx1k.pcf";
    equiv::DesignCheckOptions options;
    options.stimuli = 64;
    options.cycles = 2100;

    // A wrong initial value in each of the four RAMs (one per mode): bit 0 of physical word 0
    // is read in the first cycles, before any write can reach it.
    for (int ram = 0; ram < 4; ++ram) {
        auto wrong = equiv::flip_ram_init_bit(asc, ram, 0, 0);
        auto result =
            equiv::check_against_synthesis(wrong, pcf, synthesised, "memsoc_top", options);
        INFO("RAM " << ram << ": " << result.reason);
        CHECK(result.verdict == equiv::Verdict::differs);
    }
    CHECK_THROWS_AS(equiv::flip_ram_init_bit(asc, 4, 0, 0), std::invalid_argument);

    // A flipped LUT bit: caught within the first used LUTs.
    write_file(scratch.dir / "memsoc.asc", asc);
    process::Spec vlog;
    vlog.argv = {"icebox_vlog", "-s", "-p", pcf.string(), (scratch.dir / "memsoc.asc").string()};
    auto netlist_text = process::run(vlog);
    REQUIRE(netlist_text.ok());
    auto luts = equiv::used_luts(netlist_text.out);
    REQUIRE(luts.size() >= 4);
    int caught = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        auto wrong = equiv::flip_lut_bit(asc, luts[i], 0);
        auto result =
            equiv::check_against_synthesis(wrong, pcf, synthesised, "memsoc_top", options);
        CHECK(result.verdict != equiv::Verdict::not_checked);
        caught += result.verdict == equiv::Verdict::differs;
    }
    CHECK(caught >= 1);
}
