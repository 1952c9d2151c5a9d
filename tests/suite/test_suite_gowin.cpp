// The Gowin flow with the real tools of the trixie root (label toolchain2; skipped, said as a
// skip, when the root predates the Gowin packages: scripts/setup-toolchain trixie adds them):
// `detlab synth --device gw1nr-9 --tools trixie --seed N` builds the small multiply-accumulate
// fixture (tests/toolchain/fixtures/mac, the accelerator's ports; nextpnr-gowin 0.7 took ~200 s
// for the 2x2 accelerator itself, the fixture a fraction) for the Tang Nano 9K's GW1NR-9 with two
// seeds into a store, which then holds two different bitstreams, each
// with its Fmax and utilisation, whose configuration-bit distance (frames) is read from the
// stored bytes; a repeat of one seed is bit-identical; and one LUT bit changed in nextpnr's routed
// netlist is exactly one configuration bit once gowin_pack has packed it.
#include "analysis/analysis.h"
#include "db/store.h"
#include "harness/equiv/equiv.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"
#include "tests/skip.h"
#include "tests/suite/family_build.h"

#include <catch2/catch.hpp>
#include <regex>

using namespace detlab;

namespace {

using test::stored;
using test::stored_metric;

// The build under test (the mac fixture, see above).
std::string synth(const std::filesystem::path& db, int seed) {
    return test::synth_in_trixie(db,
                                 {"--device", "gw1nr-9", "--rtl-dir",
                                  (source_root() / "tests/toolchain/fixtures/mac").string()},
                                 seed, std::chrono::seconds(1200));
}

// Flips the first bit of the first LUT initialisation ("INIT": "1010...", 16 bits).
std::string flip_one_lut_bit(const std::string& routed) {
    static const std::regex init(R"re("INIT": "([01]{16})")re");
    std::smatch match;
    REQUIRE(std::regex_search(routed, match, init));
    std::string out = routed;
    auto at = static_cast<std::size_t>(match.position(1));
    out[at] = out[at] == '0' ? '1' : '0';
    return out;
}

} // namespace

TEST_CASE("Gowin via detlab synth: two seeds differ, a repeat is bit-identical, distances count "
          "frame bits") {
    auto root = toolchain::toolchains_dir() / "trixie";
    if (!std::filesystem::exists(root / "usr/bin/nextpnr-gowin") ||
        !std::filesystem::exists(root / "usr/bin/gowin_pack"))
        detlab_skip("the trixie root has no nextpnr-gowin/gowin_pack (scripts/setup-toolchain "
                    "trixie adds them)");
    auto scratch = make_temp_dir("suite-gowin", DETLAB_TEST_TMP);
    auto db_path = scratch / "gowin.db";

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
    // GW1N-9C: 712 frames of 2836 configuration bits (gowin_pack 0.17, no block RAM frames).
    auto distance = analysis::bitstream_distance(bit_one, bit_two);
    CHECK(distance.over == "frames");
    CHECK(distance.bits.total_bits == 712u * 2836u);
    CHECK(distance.bits.differing_bits > 0);
    auto repeat_distance =
        analysis::bitstream_distance(bit_one, stored(store, again, db::artifact::kBitstream));
    CHECK(repeat_distance.bits.differing_bits == 0);

    // One LUT bit of nextpnr's routed netlist is one configuration bit once packed.
    Bytes routed_bytes = stored(store, one, "routed.json");
    std::string routed(routed_bytes.begin(), routed_bytes.end());
    write_file(scratch / "a.json", routed);
    write_file(scratch / "b.json", flip_one_lut_bit(routed));
    test::run_in_trixie(scratch, {"/usr/bin/gowin_pack", "-d", "GW1N-9C", "-o", "a.fs", "a.json"});
    test::run_in_trixie(scratch, {"/usr/bin/gowin_pack", "-d", "GW1N-9C", "-o", "b.fs", "b.json"});
    auto a = read_file_bytes(scratch / "a.fs");
    CHECK(sha256_hex(a) == sha256_hex(bit_one)); // gowin_pack is deterministic
    auto flipped = analysis::bitstream_distance(a, read_file_bytes(scratch / "b.fs"));
    CHECK(flipped.over == "frames");
    CHECK(flipped.bits.differing_bits == 1);

    // The stored equivalence check says exactly why a Gowin bitstream is not checked.
    auto verdict = equiv::stored_check(store, one);
    REQUIRE(verdict);
    CHECK(verdict->verdict == equiv::Verdict::not_checked);
    CHECK(verdict->reason == equiv::kGowinNotChecked);
    std::filesystem::remove_all(scratch);
}
