// The proof on real bitstreams of the small configuration (2x2 array, HX1K; issue 31): two
// seeds' bitstreams are proved equivalent to their synthesised netlist, and the wrong bitstreams
// the simulation catches (a flipped LUT bit, crossed RAM data wires) the proof finds to differ
// too. A proof that missed what 256 simulated vectors show would be unsound, so every mutant the
// simulation calls `differs` must be `differs` here.
#include "harness/equiv/equiv.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"
#include "tests/equiv/scratch.h"

#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

std::string artifact_text(const db::RunResult& run, const char* name) {
    const auto* artifact = run.find_artifact(name);
    INFO("run has no " << name);
    REQUIRE(artifact);
    return {artifact->bytes.begin(), artifact->bytes.end()};
}

struct Built {
    std::string asc;
    nlohmann::json synthesised;
    equiv::Board board;
};

Built build(const Scratch& scratch, int seed) {
    observation::Context context{nullptr, scratch.dir / ("work" + std::to_string(seed)), "test",
                                 nullptr};
    auto run = toolchain::run_build({{"seed", seed}}, 0, context);
    INFO(run.message);
    REQUIRE(run.status == db::kStatusDone);
    return {artifact_text(run, "bitstream.asc"),
            nlohmann::json::parse(artifact_text(run, "netlist.json")),
            equiv::board_from_config(nlohmann::json::parse(run.config_json))};
}

equiv::ProofResult prove(const Built& b, const std::string& asc, const fs::path& work,
                         std::function<std::string(const std::string&)> edit = {}) {
    equiv::ProofOptions options;
    options.time_limit_s = 900; // a net for a hang: about 10 s each on a busy 2-core machine
    options.work_dir = work;
    options.netlist_edit = std::move(edit);
    auto proof = equiv::prove_against_synthesis(asc, b.board.pcf, b.synthesised,
                                                toolchain::kAcceleratorTop, options);
    INFO(proof.reason);
    return proof;
}

equiv::CheckOptions simulated(std::function<std::string(const std::string&)> edit = {}) {
    equiv::CheckOptions options;
    options.vectors = 256;
    options.netlist_edit = std::move(edit);
    return options;
}

} // namespace

TEST_CASE("two seeds are proved, and a flipped LUT bit and swapped RAM data bits differ by proof "
          "and by simulation") {
    Scratch scratch("equiv-proof");
    for (int seed : {1, 2}) {
        auto b = build(scratch, seed);
        auto proof = prove(b, b.asc, scratch.dir / ("proof" + std::to_string(seed)));
        INFO("seed " << seed << ": " << proof.reason);
        CHECK(proof.outcome == equiv::ProofOutcome::proved);
        CHECK(proof.flip_flops > 100);
        CHECK(proof.rams == 2);
        CHECK(proof.compare_points > proof.flip_flops);
    }

    auto b = build(scratch, 1);
    write_file(scratch.dir / "b.asc", b.asc);
    process::Spec spec;
    spec.argv = {"icebox_vlog", "-s", "-p", b.board.pcf.string(), "b.asc"};
    spec.cwd = scratch.dir;
    auto netlist = process::run(spec);
    REQUIRE(netlist.ok());
    auto luts = equiv::used_luts(netlist.out);
    REQUIRE(luts.size() > 20);

    // LUT flips spread over the design: each one the simulation catches, the proof must too;
    // the proof may find more (a difference no vector reached).
    int simulation_caught = 0, proof_caught = 0;
    for (int attempt = 0; attempt < 6; ++attempt) {
        const auto& site = luts[luts.size() * static_cast<std::size_t>(attempt) / 6];
        auto wrong = equiv::flip_lut_bit(b.asc, site, 0);
        auto by_simulation = equiv::check_bitstream(wrong, b.board, simulated());
        auto by_proof = prove(b, wrong, scratch.dir / ("lut" + std::to_string(attempt)));
        INFO("LUT " << site.x << " " << site.y << " " << site.index << ": simulation "
                    << equiv::verdict_name(by_simulation.verdict) << ", proof "
                    << equiv::proof_outcome_name(by_proof.outcome) << " " << by_proof.reason);
        CHECK(by_proof.outcome != equiv::ProofOutcome::unfinished);
        if (by_simulation.verdict == equiv::Verdict::differs) {
            ++simulation_caught;
            CHECK(by_proof.outcome == equiv::ProofOutcome::differs);
        }
        proof_caught += by_proof.outcome == equiv::ProofOutcome::differs ? 1 : 0;
    }
    CHECK(simulation_caught >= 1);
    CHECK(proof_caught >= simulation_caught);

    // Crossed RAM data wires: bits 0 and 1 of the first block RAM's write data swapped.
    auto swap = [](const std::string& v) {
        return equiv::swap_ram_data_bits(v, 0, 0, 1);
    };
    CHECK(equiv::check_bitstream(b.asc, b.board, simulated(swap)).verdict ==
          equiv::Verdict::differs);
    auto crossed = prove(b, b.asc, scratch.dir / "ram", swap);
    INFO(crossed.reason);
    CHECK(crossed.outcome == equiv::ProofOutcome::differs);
}
