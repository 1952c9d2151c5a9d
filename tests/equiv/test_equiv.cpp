// The equivalence check on real bitstreams of the small configuration (2x2 array, HX1K):
// two placement seeds give two different bitstreams that both compute what the golden model
// computes, and a bitstream with one flipped LUT bit is caught.
#include "harness/equiv/equiv.h"
#include "harness/toolchain/toolchain.h"
#include "tests/equiv/scratch.h"

#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

const Bytes& artifact(const db::RunResult& run, const std::string& name) {
    for (const auto& a : run.artifacts)
        if (a.name == name)
            return a.bytes;
    FAIL("run has no " << name);
    throw std::logic_error("unreachable");
}

double metric(const db::RunResult& run, const std::string& key) {
    for (const auto& m : run.metrics)
        if (m.key == key)
            return m.value;
    FAIL("run has no metric " << key);
    return -1;
}

std::string text_of(const Bytes& bytes) {
    return {bytes.begin(), bytes.end()};
}

// Eight vectors: zero and edges at K = 1 and K = N, both K = 256 extremes, three random.
constexpr int kVectors = 8;

} // namespace

TEST_CASE("two seeds give two different bitstreams that both equal the golden model") {
    Scratch scratch("equiv-seeds");
    db::Store store(scratch.dir / "runs.db");
    observation::Context context{&store, scratch.dir / "work", "test", nullptr};
    equiv::CheckOptions options;
    options.vectors = kVectors;
    std::vector<db::RunResult> runs;
    for (int seed : {1, 2}) {
        auto run = toolchain::run_build({{"seed", seed}}, 0, context);
        REQUIRE(run.status == db::kStatusDone);
        equiv::check_toolchain_run(run, nlohmann::json::parse(run.config_json), options);
        INFO("seed " << seed << ": " << run.message);
        REQUIRE(run.status == db::kStatusDone);
        CHECK(metric(run, "equiv_vectors") == kVectors);
        CHECK(metric(run, "equiv_mismatches") == 0);
        store.record_run(run);
        runs.push_back(std::move(run));
    }
    CHECK(artifact(runs[0], "bitstream.bin") != artifact(runs[1], "bitstream.bin"));
    // Vector by vector the same function: identical outputs, 2x2 int32 per vector.
    CHECK(artifact(runs[0], "equiv_outputs.bin") == artifact(runs[1], "equiv_outputs.bin"));
    CHECK(artifact(runs[0], "equiv_outputs.bin").size() == kVectors * 4 * 4);
    // The stored outputs are the golden model's.
    auto outputs = equiv::decode_outputs(artifact(runs[0], "equiv_outputs.bin"));
    auto vectors = equiv::make_vectors({2, 8, 24}, kVectors, equiv::kDefaultVectorSeed);
    std::vector<std::int32_t> expected(4);
    accel::make_backend("golden", {2, 8, 24})
        ->gemm(2, vectors[3].k, 2, vectors[3].a.data(), vectors[3].b.data(), expected.data());
    CHECK(expected[0] == 256 * 128 * 128);
    CHECK(std::vector<std::int32_t>(outputs.begin() + 12, outputs.begin() + 16) == expected);

    // A stored check is never replaced: checking again is refused, nothing changes.
    options.vectors = 3;
    CHECK_THROWS_AS(equiv::check_stored_run(store, runs[1].id, options), InputError);
    auto stored = store.artifact_bytes(runs[1].id, "equiv_outputs.bin");
    REQUIRE(stored);
    CHECK(*stored == artifact(runs[1], "equiv_outputs.bin"));

    // A stored build without a check gets one added; the build itself stays as it was.
    auto unchecked = toolchain::run_build({{"seed", 3}}, 0, context);
    REQUIRE(unchecked.status == db::kStatusDone);
    store.record_run(unchecked);
    auto added = equiv::check_stored_run(store, unchecked.id, options);
    CHECK(added.mismatches == 0);
    auto outputs_added = store.artifact_bytes(unchecked.id, "equiv_outputs.bin");
    REQUIRE(outputs_added);
    CHECK(equiv::decode_outputs(*outputs_added) ==
          std::vector<std::int32_t>(outputs.begin(), outputs.begin() + 12));
    CHECK(store.artifact_bytes(unchecked.id, "bitstream.bin") ==
          artifact(unchecked, "bitstream.bin"));
    CHECK(store.check().ok);
}

TEST_CASE("a bitstream with one flipped LUT bit is caught") {
    Scratch scratch("equiv-flip");
    observation::Context context{nullptr, scratch.dir / "work", "test", nullptr};
    auto run = toolchain::run_build({{"seed", 1}}, 0, context);
    REQUIRE(run.status == db::kStatusDone);
    std::string asc = text_of(artifact(run, "bitstream.asc"));
    auto board = equiv::board_from_config(nlohmann::json::parse(run.config_json));

    equiv::CheckOptions options;
    options.vectors = 3; // zero and edge values at K = 1 and K = N: cheap, and enough here
    options.simulator = equiv::Simulator::iverilog;
    options.work_dir = scratch.dir / "good";
    auto good = equiv::check_bitstream(asc, board, options);
    REQUIRE(good.mismatches == 0);
    auto luts = equiv::used_luts(read_file_text(options.work_dir / "chip.v"));
    REQUIRE(luts.size() > 20);

    // Flip truth-table bit 0 (all inputs low, the idle state of most logic) of used LUTs spread
    // over the design until one changes a result; deterministic, and each flip must be caught
    // or be one of the few that only touch logic these vectors do not observe.
    int caught_after = 0;
    for (int attempt = 0; attempt < 6 && caught_after == 0; ++attempt) {
        const auto& site = luts[luts.size() * static_cast<std::size_t>(attempt) / 6];
        std::string wrong = equiv::flip_lut_bit(asc, site, 0);
        REQUIRE(wrong != asc);
        options.work_dir = scratch.dir / ("wrong-" + std::to_string(attempt));
        auto result = equiv::check_bitstream(wrong, board, options);
        if (result.mismatches > 0) {
            caught_after = attempt + 1;
            CHECK(result.mismatched.size() == static_cast<std::size_t>(result.mismatches));
            CHECK(result.outputs != good.outputs);
            db::RunResult flagged;
            equiv::add_to_run(flagged, result);
            CHECK_THAT(flagged.message, Catch::Contains("EQUIVALENCE CHECK FAILED"));
        }
    }
    CHECK(caught_after > 0);
}
