// The equivalence check's pure parts: the vector set, the outputs file, LUT bit flips.
#include "harness/equiv/equiv.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace detlab;

namespace {

// A logic tile block as icebox writes it: 16 rows of 54 bits.
std::string tile_block(int x, int y) {
    std::string block = ".logic_tile " + std::to_string(x) + " " + std::to_string(y) + "\n";
    for (int row = 0; row < 16; ++row)
        block += std::string(54, '0') + "\n";
    return block;
}

} // namespace

TEST_CASE("the vector set is fixed by its seed and covers zero, edges, K=1 and K=max") {
    accel::ArrayConfig config{2, 8, 24};
    auto vectors = equiv::make_vectors(config, 32, 1);
    REQUIRE(vectors.size() == 32);
    CHECK(equiv::make_vectors(config, 32, 1)[20].a == vectors[20].a);
    CHECK(equiv::make_vectors(config, 32, 2)[20].a != vectors[20].a);
    CHECK(equiv::make_vectors(config, 3, 1).size() == 3);
    CHECK(vectors[0].k == 1);
    CHECK(vectors[3].k == accel::serial::max_k);
    CHECK(vectors[3].a[0] == -128);
    bool has_127 = false;
    for (const auto& job : vectors) {
        REQUIRE(job.a.size() == static_cast<std::size_t>(2 * job.k));
        REQUIRE(job.b.size() == job.a.size());
        CHECK(job.k >= 1);
        CHECK(job.k <= accel::serial::max_k);
        for (auto v : job.a)
            has_127 = has_127 || v == 127;
    }
    CHECK(has_127);
    // Cheap vectors first: three vectors need far fewer cycles than the two at K = max.
    CHECK(equiv::script_cycles(config, equiv::make_vectors(config, 3, 1)) <
          equiv::script_cycles(config, {vectors[3]}));
}

TEST_CASE("outputs round-trip as int32 little-endian") {
    std::vector<std::int32_t> values{0, -1, 8388607, -8388608, 0x01020304};
    auto bytes = equiv::encode_outputs(values);
    REQUIRE(bytes.size() == 20);
    CHECK(bytes[16] == 0x04);
    CHECK(bytes[19] == 0x01);
    CHECK(bytes[4] == 0xFF);
    CHECK(equiv::decode_outputs(bytes) == values);
    bytes.pop_back();
    CHECK_THROWS(equiv::decode_outputs(bytes));
}

TEST_CASE("a LUT bit flip changes exactly one bit of the named tile") {
    std::string asc = ".comment x\n" + tile_block(1, 1) + tile_block(2, 3);
    auto flipped = equiv::flip_lut_bit(asc, {2, 3, 1}, 0);
    REQUIRE(flipped.size() == asc.size());
    std::vector<std::size_t> changed;
    for (std::size_t i = 0; i < asc.size(); ++i)
        if (asc[i] != flipped[i])
            changed.push_back(i);
    REQUIRE(changed.size() == 1);
    // Bit 0 of LUT 1 is configuration bit 4: row 2, column 40 of tile (2, 3).
    auto tile = asc.find(".logic_tile 2 3\n") + 16;
    CHECK(changed[0] == tile + 2 * 55 + 40);
    CHECK(equiv::flip_lut_bit(flipped, {2, 3, 1}, 0) == asc);
    CHECK_THROWS(equiv::flip_lut_bit(asc, {5, 5, 0}, 0));
    CHECK_THROWS(equiv::flip_lut_bit(asc, {1, 1, 8}, 0));
}

TEST_CASE("used LUTs are the non-constant ones, sorted") {
    std::string netlist = "assign n1 = /* LUT    4  7  3 */ (n324 ? n182 : 1'b0);\n"
                          "assign n2 = /* LUT   11  1  0 */ 1'b0;\n"
                          "assign n3 = /* LUT    1  3  6 */ (n23 ? n183 : 1'b0);\n";
    auto luts = equiv::used_luts(netlist);
    REQUIRE(luts.size() == 2);
    CHECK(luts[0].x == 1);
    CHECK(luts[0].index == 6);
    CHECK(luts[1].y == 7);
}

TEST_CASE("simulator names and the automatic choice") {
    CHECK(equiv::parse_simulator("iverilog") == equiv::Simulator::iverilog);
    CHECK(equiv::parse_simulator("native") == equiv::Simulator::native);
    CHECK(equiv::parse_simulator("auto") == equiv::Simulator::automatic);
    CHECK_THROWS_AS(equiv::parse_simulator("modelsim"), InputError);
    // The native simulator has no compile to amortise: it is the choice at every size.
    CHECK(equiv::choose_simulator(equiv::Simulator::automatic, 1000, 2) ==
          equiv::Simulator::native);
    CHECK(equiv::choose_simulator(equiv::Simulator::automatic, 10'000'000, 4) ==
          equiv::Simulator::native);
    CHECK(equiv::choose_simulator(equiv::Simulator::iverilog, 10'000'000, 4) ==
          equiv::Simulator::iverilog);
}

TEST_CASE("the mismatch-rate bound is one-sided 95% Clopper-Pearson with no mismatch") {
    CHECK(equiv::mismatch_rate_bound(1) == Approx(0.95));
    CHECK(equiv::mismatch_rate_bound(256) == Approx(1 - std::pow(0.05, 1.0 / 256)));
    CHECK(equiv::mismatch_rate_bound(256) == Approx(0.0116).epsilon(0.01));
    // about 3/V for large V (the rule of three)
    CHECK(equiv::mismatch_rate_bound(3000) == Approx(3.0 / 3000).epsilon(0.01));
    CHECK(equiv::mismatch_rate_bound(0) == 1);
}

TEST_CASE("a stored verdict reads as a sentence, never as none") {
    equiv::StoredVerdict v;
    v.verdict = equiv::Verdict::no_difference;
    v.vectors = 256;
    v.rate_bound = equiv::mismatch_rate_bound(256);
    CHECK(equiv::describe(v) == "no difference in 256 vectors (rate <= 1.2%, 95%)");
    v.verdict = equiv::Verdict::differs;
    v.mismatches = 3;
    CHECK(equiv::describe(v) == "DIFFERS: 3 of 256 vectors");
    v.verdict = equiv::Verdict::not_checked;
    v.reason = "yosys netlist: cell type SB_MAC16 is not modelled";
    CHECK(equiv::describe(v) == "not checked: yosys netlist: cell type SB_MAC16 is not modelled");
    // A check stored before equiv_result.json existed: verdict from its counts.
    auto old = equiv::verdict_from(std::nullopt, {{"equiv_vectors", 32}, {"equiv_mismatches", 0}});
    REQUIRE(old);
    CHECK(old->verdict == equiv::Verdict::no_difference);
    CHECK(old->rate_bound == Approx(equiv::mismatch_rate_bound(32)));
    CHECK_FALSE(equiv::verdict_from(std::nullopt, {}));
    auto why = equiv::verdict_from(nlohmann::json{{"result", "not_checked"}, {"reason", "x"}}, {});
    REQUIRE(why);
    CHECK(why->verdict == equiv::Verdict::not_checked);
    CHECK(why->reason == "x");
}
