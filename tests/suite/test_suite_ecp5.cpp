// The ECP5 flow with the real tools of the trixie root (label toolchain2: scripts/setup-toolchain
// trixie first), through the command issue 27 names: `detlab synth --device lfe5u-25f --package
// CABGA256 --seed N` (with --tools trixie) builds the accelerator with two seeds into a store,
// which then holds two different bitstreams, each with its Fmax, whose configuration-bit distance
// (frames+ebr) is read from the stored bytes; a repeat of one seed is bit-identical; and one LUT
// bit changed in nextpnr's textual configuration is exactly one configuration bit once packed.
#include "analysis/analysis.h"
#include "db/store.h"
#include "harness/equiv/equiv.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"
#include "tests/suite/family_build.h"

#include <catch2/catch.hpp>
#include <regex>

using namespace detlab;

namespace {

using test::stored;
using test::stored_metric;

// The build under test, as the issue gives its command.
std::string synth(const std::filesystem::path& db, int seed) {
    return test::synth_in_trixie(db, {"--device", "lfe5u-25f", "--package", "CABGA256"}, seed,
                                 std::chrono::seconds(900));
}

// Flips the first bit of the first LUT initialisation word ("word: SLICEA.K0.INIT 0101...").
std::string flip_one_lut_bit(const std::string& config) {
    static const std::regex word(R"(word: SLICE[A-D]\.K[01]\.INIT ([01]+))");
    std::smatch match;
    REQUIRE(std::regex_search(config, match, word));
    std::string out = config;
    auto at = static_cast<std::size_t>(match.position(1));
    out[at] = out[at] == '0' ? '1' : '0';
    return out;
}

} // namespace

TEST_CASE("ECP5 via detlab synth: two seeds differ, a repeat is bit-identical, distances count "
          "frame bits") {
    auto installed = toolchain::installed_toolchains();
    REQUIRE(std::find(installed.begin(), installed.end(), "trixie") != installed.end());
    auto scratch = make_temp_dir("suite-ecp5", DETLAB_TEST_TMP);
    auto db_path = scratch / "ecp5.db";

    auto one = synth(db_path, 1);
    auto two = synth(db_path, 2);
    auto again = synth(db_path, 1); // the next repeat of the same configuration
    db::Store store(db_path);
    REQUIRE(store.runs().size() == 3);
    CHECK(store.run(one)->config_id == store.run(again)->config_id);
    CHECK(store.run(again)->repeat == store.run(one)->repeat + 1);
    CHECK(store.run(one)->config_id != store.run(two)->config_id);

    Bytes bit_one = stored(store, one, db::artifact::kBitstream);
    Bytes bit_two = stored(store, two, db::artifact::kBitstream);
    CHECK(sha256_hex(bit_one) == sha256_hex(stored(store, again, db::artifact::kBitstream)));
    CHECK(sha256_hex(bit_one) != sha256_hex(bit_two));
    for (const auto& run : {one, two, again}) {
        CHECK(stored_metric(store, run, db::metric::kFmaxMhz).value_or(0) > 0);
        CHECK(stored_metric(store, run, "logic_utilisation_pct").value_or(0) > 0);
    }
    auto distance = analysis::bitstream_distance(bit_one, bit_two);
    CHECK(distance.over == "frames+ebr");
    CHECK(distance.bits.total_bits == 8 * (7562 * 592 / 8 + 56 * 2304));
    CHECK(distance.bits.differing_bits > 0);
    auto repeat_distance =
        analysis::bitstream_distance(bit_one, stored(store, again, db::artifact::kBitstream));
    CHECK(repeat_distance.bits.differing_bits == 0);

    // One LUT bit of nextpnr's textual configuration is one configuration bit once packed.
    Bytes config_bytes = stored(store, one, "bitstream.config");
    std::string config(config_bytes.begin(), config_bytes.end());
    write_file(scratch / "a.config", config);
    write_file(scratch / "b.config", flip_one_lut_bit(config));
    test::run_in_trixie(scratch, {"/usr/bin/ecppack", "--input", "a.config", "--bit", "a.bit"});
    test::run_in_trixie(scratch, {"/usr/bin/ecppack", "--input", "b.config", "--bit", "b.bit"});
    auto a = read_file_bytes(scratch / "a.bit");
    CHECK(sha256_hex(a) == sha256_hex(bit_one)); // ecppack is deterministic
    auto flipped = analysis::bitstream_distance(a, read_file_bytes(scratch / "b.bit"));
    CHECK(flipped.over == "frames+ebr");
    CHECK(flipped.bits.differing_bits == 1);

    // The stored equivalence check says exactly why an ECP5 bitstream is not checked.
    auto verdict = equiv::stored_check(store, one);
    REQUIRE(verdict);
    CHECK(verdict->verdict == equiv::Verdict::not_checked);
    CHECK(verdict->reason == equiv::kEcp5NotChecked);
    std::filesystem::remove_all(scratch);
}
