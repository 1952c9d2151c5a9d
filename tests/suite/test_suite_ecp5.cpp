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

#include <catch2/catch.hpp>
#include <regex>

using namespace detlab;

namespace {

// `detlab synth` of the accelerator on an LFE5U-25F with `seed`, recorded in `db`, checked for
// equivalence; returns the stored run's id (from its summary line "run ID  status done ...").
std::string synth(const std::filesystem::path& db, int seed) {
    process::Spec spec;
    spec.argv = {DETLAB_BINARY,
                 "synth",
                 "--device",
                 "lfe5u-25f",
                 "--package",
                 "CABGA256",
                 "--tools",
                 "trixie",
                 "--seed",
                 std::to_string(seed),
                 "--reuse-synthesis=false",
                 "--equiv-vectors",
                 "8",
                 "--db",
                 db.string()};
    spec.timeout = std::chrono::seconds(900);
    auto result = process::run(spec);
    INFO(result.out << result.err << result.error);
    REQUIRE(result.exit_code == 0);
    static const std::regex first_line(R"((?:^|\n)run ([0-9a-f]+)  status done)");
    std::smatch match;
    REQUIRE(std::regex_search(result.out, match, first_line));
    return match[1];
}

Bytes stored(const db::Store& store, const std::string& run, const char* name) {
    auto bytes = store.artifact_bytes(run, name);
    INFO(run << ": " << name);
    REQUIRE(bytes);
    return *bytes;
}

std::optional<double> stored_metric(const db::Store& store, const std::string& run,
                                    const std::string& key) {
    for (const auto& metric : store.metrics(run))
        if (metric.key == key && metric.step == 0)
            return metric.value;
    return std::nullopt;
}

// ecppack of the trixie root on a file of `dir`.
void ecppack(const std::filesystem::path& dir, const std::string& in, const std::string& out) {
    auto root = toolchain::toolchains_dir() / "trixie";
    process::Spec spec;
    // The root is read-only at /; the scratch directory is bound on a fresh /tmp inside it.
    spec.argv = {"bwrap",
                 "--ro-bind",
                 root.string(),
                 "/",
                 "--proc",
                 "/proc",
                 "--dev",
                 "/dev",
                 "--tmpfs",
                 "/tmp",
                 "--bind",
                 dir.string(),
                 "/tmp/work",
                 "--chdir",
                 "/tmp/work",
                 "--setenv",
                 "PATH",
                 "/usr/bin:/bin",
                 "/usr/bin/ecppack",
                 "--input",
                 in,
                 "--bit",
                 out};
    spec.timeout = std::chrono::seconds(300);
    auto result = process::run(spec);
    INFO(result.out << result.err << result.error);
    REQUIRE(result.ok());
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
    ecppack(scratch, "a.config", "a.bit");
    ecppack(scratch, "b.config", "b.bit");
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
