// The random-stimulus check inside sweeps, for designs that are not the accelerator
// (tests/equiv/designs, real tools, HX1K): every build of crc_top is checked against its own
// synthesised netlist, a flipped LUT bit in its bitstream is caught through the same path, an
// unchecked stored run is checked afterwards by the same method, and a design the simulator
// cannot model (flip-flops on a divided clock) records why, which compare shows.
#include "analysis/analysis.h"
#include "harness/equiv/equiv.h"
#include "harness/process/process.h"
#include "harness/sweep/sweep.h"
#include "tests/equiv/scratch.h"

#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

const fs::path kDesigns = fs::path(DETLAB_SOURCE_ROOT) / "tests" / "equiv" / "designs";

std::string experiment_text(const std::string& name, const std::string& top,
                            const std::string& check_keys, const std::string& seeds) {
    return "[experiment]\nname = \"" + name + "\"\n" + check_keys + "\n[toolchain]\nrtl_dir = \"" +
           kDesigns.string() + "\"\ntop = \"" + top + "\"\ndevice = \"hx1k\"\n" +
           "[[toolchain.vary]]\nfactor = \"seed\"\nvalues = " + seeds + "\n";
}

std::vector<db::RunRow> runs_of(const db::Store& store, const std::string& experiment) {
    db::RunFilter filter;
    filter.experiment = experiment;
    return store.runs(filter);
}

nlohmann::json result_json(const db::Store& store, const std::string& id) {
    auto bytes = store.artifact_bytes(id, db::artifact::kEquivResult);
    REQUIRE(bytes);
    return nlohmann::json::parse(bytes->begin(), bytes->end());
}

} // namespace

TEST_CASE("a sweep of another design checks every build by random stimulus") {
    Scratch scratch("equiv-design-sweep");
    const auto& domains = sweep::builtin_domains();
    sweep::RunOptions options;
    options.db_path = scratch.dir / "runs.db";
    options.jobs = 2;

    auto experiment = sweep::parse_experiment(
        experiment_text("crc", "crc_top",
                        "equiv_vectors = 128\nequiv_cycles = 200\nequiv_hold = { en = 1 }",
                        "[1, 2]"),
        "crc.toml", domains);
    CHECK(experiment.equiv_cycles == 200);
    CHECK(experiment.equiv_hold == std::map<std::string, bool>{{"en", true}});
    auto summary = sweep::run_sweep(experiment, domains, options);
    CHECK(summary.done == 2);
    db::Store store(options.db_path);
    auto rows = runs_of(store, "crc");
    REQUIRE(rows.size() == 2);
    for (const auto& row : rows) {
        auto verdict = equiv::stored_check(store, row.id);
        REQUIRE(verdict);
        INFO(verdict->reason);
        CHECK(verdict->verdict == equiv::Verdict::no_difference);
        CHECK(verdict->vectors == 128);
        auto json = result_json(store, row.id);
        CHECK(json.at("method") == equiv::kMethodRandomStimulus);
        CHECK(json.at("cycles") == 200);
        bool has_cycles = false;
        for (const auto& m : store.metrics(row.id))
            has_cycles |= m.key == db::metric::kEquivCycles && m.value == 200;
        CHECK(has_cycles);
    }
    // Two seeds' bitstreams of one design: the same output traces for every stimulus.
    CHECK(store.artifact_bytes(rows[0].id, db::artifact::kEquivOutputs) ==
          store.artifact_bytes(rows[1].id, db::artifact::kEquivOutputs));
    auto compared = analysis::comparison_rows(analysis::analyse(store, std::string("crc")));
    REQUIRE(compared.size() == 1);
    CHECK_THAT(compared[0].equivalence, Catch::StartsWith("2/2 no difference in 128 vectors"));

    // A flipped LUT bit in a stored bitstream, checked the way the sweep checks a build.
    auto asc = store.artifact_bytes(rows[0].id, db::artifact::kAsc);
    auto netlist = store.artifact_bytes(rows[0].id, db::artifact::kNetlist);
    REQUIRE(asc);
    REQUIRE(netlist);
    auto config = nlohmann::json::parse(store.run(rows[0].id)->config_json);
    std::string asc_text(asc->begin(), asc->end());
    auto pcf = equiv::board_from_config(config).pcf;
    write_file(scratch.dir / "crc.asc", asc_text);
    process::Spec vlog;
    vlog.argv = {"icebox_vlog", "-s", "-p", pcf.string(), (scratch.dir / "crc.asc").string()};
    auto netlist_text = process::run(vlog);
    REQUIRE(netlist_text.ok());
    auto luts = equiv::used_luts(netlist_text.out);
    REQUIRE(luts.size() >= 4);
    int caught = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        auto wrong = equiv::flip_lut_bit(asc_text, luts[i], 0);
        db::RunResult mutant;
        mutant.status = db::kStatusDone;
        mutant.add_artifact(db::artifact::kAsc, Bytes(wrong.begin(), wrong.end()));
        mutant.add_artifact(db::artifact::kNetlist, *netlist);
        equiv::CheckOptions check;
        check.vectors = 128;
        check.cycles = 200;
        equiv::check_toolchain_run(mutant, config, check);
        auto verdict = equiv::run_verdict(mutant);
        REQUIRE(verdict);
        CHECK(verdict->verdict != equiv::Verdict::not_checked);
        caught += verdict->verdict == equiv::Verdict::differs;
        CHECK(mutant.status == db::kStatusDone);
    }
    CHECK(caught >= 1);

    // A run stored without the check is checked afterwards by the same method (detlab equiv).
    auto later = sweep::parse_experiment(experiment_text("crc_later", "crc_top", "", "[3]"),
                                         "later.toml", domains);
    sweep::run_sweep(later, domains, options);
    auto unchecked = runs_of(store, "crc_later");
    REQUIRE(unchecked.size() == 1);
    equiv::CheckOptions afterwards;
    afterwards.vectors = 64;
    afterwards.cycles = 100;
    auto result = equiv::check_stored_run(store, unchecked[0].id, afterwards);
    INFO(result.reason);
    CHECK(result.verdict == equiv::Verdict::no_difference);
    CHECK(result.method == equiv::kMethodRandomStimulus);
    CHECK(result_json(store, unchecked[0].id).at("cycles") == 100);
    CHECK(store.check().ok);
}

TEST_CASE("a design the random-stimulus check cannot model records why") {
    Scratch scratch("equiv-design-unchecked");
    const auto& domains = sweep::builtin_domains();
    sweep::RunOptions options;
    options.db_path = scratch.dir / "runs.db";
    auto experiment = sweep::parse_experiment(
        experiment_text("divided", "divided_top", "equiv_vectors = 64", "[1]"), "divided.toml",
        domains);
    auto summary = sweep::run_sweep(experiment, domains, options);
    CHECK(summary.done == 1); // the build is fine; only its check could not run
    db::Store store(options.db_path);
    auto rows = runs_of(store, "divided");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == db::kStatusDone);
    auto verdict = equiv::stored_check(store, rows[0].id);
    REQUIRE(verdict);
    CHECK(verdict->verdict == equiv::Verdict::not_checked);
    CHECK_THAT(verdict->reason, Catch::Contains("two clocks"));
    CHECK(result_json(store, rows[0].id).at("method") == equiv::kMethodRandomStimulus);
    auto compared = analysis::comparison_rows(analysis::analyse(store, std::string("divided")));
    REQUIRE(compared.size() == 1);
    CHECK_THAT(compared[0].equivalence, Catch::Contains("not checked: icebox netlist: flip-flops "
                                                        "on two clocks"));
}
