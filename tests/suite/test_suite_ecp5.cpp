// The ECP5 flow with the real tools of the trixie root (label toolchain2: scripts/setup-toolchain
// trixie first): the accelerator on an LFE5U-25F in CABGA256 with two seeds gives two different
// bitstreams with their Fmax and a frame-level distance, a repeat of one seed is bit-identical,
// and one LUT bit changed in nextpnr's textual configuration is exactly one configuration bit of
// the packed bitstream.
#include "analysis/analysis.h"
#include "db/store.h"
#include "harness/equiv/equiv.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"

#include <catch2/catch.hpp>
#include <regex>

using namespace detlab;

namespace {

nlohmann::json ecp5_config(long long seed) {
    return {{"device", "lfe5u-25f"},
            {"package", "CABGA256"},
            {"tools", "trixie"},
            {"seed", seed},
            {"reuse_synthesis", false}};
}

Bytes artifact(const db::RunResult& run, const char* name) {
    auto* found = run.find_artifact(name);
    REQUIRE(found);
    return found->bytes;
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

TEST_CASE("ECP5: two seeds differ, a repeat is bit-identical, distances count frame bits") {
    auto installed = toolchain::installed_toolchains();
    REQUIRE(std::find(installed.begin(), installed.end(), "trixie") != installed.end());
    auto scratch = make_temp_dir("suite-ecp5", DETLAB_TEST_TMP);
    observation::Context context;
    context.work_root = scratch;

    auto one = toolchain::run_build(ecp5_config(1), 0, context);
    INFO(one.message);
    REQUIRE(one.status == db::kStatusDone);
    auto two = toolchain::run_build(ecp5_config(2), 0, context);
    REQUIRE(two.status == db::kStatusDone);
    auto again = toolchain::run_build(ecp5_config(1), 1, context);
    REQUIRE(again.status == db::kStatusDone);

    Bytes bit_one = artifact(one, db::artifact::kBitstream);
    Bytes bit_two = artifact(two, db::artifact::kBitstream);
    CHECK(sha256_hex(bit_one) == sha256_hex(artifact(again, db::artifact::kBitstream)));
    CHECK(sha256_hex(bit_one) != sha256_hex(bit_two));
    for (const auto* run : {&one, &two}) {
        CHECK(run->metric(db::metric::kFmaxMhz).value_or(0) > 0);
        CHECK(run->metric("logic_utilisation_pct").value_or(0) > 0);
    }
    auto distance = analysis::bitstream_distance(bit_one, bit_two);
    CHECK(distance.over == "frames+ebr");
    CHECK(distance.bits.total_bits == 8 * (7562 * 592 / 8 + 56 * 2304));
    CHECK(distance.bits.differing_bits > 0);

    // One LUT bit of nextpnr's textual configuration is one configuration bit once packed.
    Bytes config_bytes = artifact(one, "bitstream.config");
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

    // The equivalence check says exactly why an ECP5 bitstream is not checked.
    equiv::CheckOptions options;
    options.vectors = 8;
    equiv::check_toolchain_run(one, ecp5_config(1), options);
    auto verdict = equiv::run_verdict(one);
    REQUIRE(verdict);
    CHECK(verdict->verdict == equiv::Verdict::not_checked);
    CHECK(verdict->reason == equiv::kEcp5NotChecked);
    std::filesystem::remove_all(scratch);
}
