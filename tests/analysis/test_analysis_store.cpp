// Grouping, summaries and the comparison table on a hand-filled store, and the markdown
// table's escaping. Plots, the report and the CLI on the same store: test_analysis_report.cpp.
#include "tests/analysis/handmade_store.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

using namespace detlab;
using namespace detlab::analysis;
using namespace detlab::testing;

namespace {

const GroupSummary& find(const std::vector<GroupSummary>& all, const std::string& study) {
    for (const auto& s : all)
        if (s.group.study == study)
            return s;
    FAIL("no group " << study);
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("runs are grouped by study, ad-hoc runs by params except seeds") {
    fs::path dir = filled_store("grouping");
    db::Store store(dir / "detlab.db");
    auto groups = group_runs(load_runs(store, std::nullopt));
    REQUIRE(groups.size() == 5);
    std::map<std::string, const Group*> by_study;
    for (const auto& g : groups)
        by_study[g.study] = &g;
    REQUIRE(by_study.count("seed"));
    CHECK(by_study["seed"]->runs.size() == 3);
    CHECK(by_study["seed"]->factor == "seed");
    CHECK(by_study["seed"]->runs[2].param("factor_value") == "3");
    CHECK(by_study["repeat"]->factor == "repeat");
    REQUIRE(by_study.count("adhoc"));
    CHECK(by_study["adhoc"]->factor == "seed");
    CHECK(by_study["adhoc"]->runs.size() == 2);
    CHECK(by_study["adhoc-2"]->runs.size() == 1);
    CHECK(by_study["init"]->runs.size() == 2);
    CHECK(by_study["init"]->failed.size() == 1);
    CHECK(by_study["init"]->runs[0].curves.at("test_accuracy").size() == 3);
    CHECK(group_runs(load_runs(store, std::string("other"))).empty());
}

TEST_CASE("group summaries have the known answers") {
    fs::path dir = filled_store("summaries");
    db::Store store(dir / "detlab.db");
    auto all = analyse(store, std::nullopt);
    const auto& seed = *find(all, "seed").toolchain;
    CHECK(seed.pairs == 3);
    CHECK(*seed.identical_bin == Approx(1.0 / 3));
    CHECK(*seed.identical_netlist == 1.0);
    CHECK(seed.first_divergence.at("none") == 1);
    CHECK(seed.first_divergence.at("asc") == 2);
    CHECK(seed.distance_over == "cram+bram");
    CHECK(seed.config_bits == 128);
    CHECK(seed.hamming.mean == Approx(2.0 / 3 / 128));
    CHECK(seed.hamming.max == Approx(1.0 / 128));
    CHECK(seed.fmax_mhz.mean == Approx(110));
    CHECK(seed.fmax_mhz.cv == Approx(10.0 / 110));
    REQUIRE(seed.functional);
    CHECK(*seed.functional == Approx(2.0 / 9)); // 2 of 3 pairs differ in 1 of 3 vectors
    CHECK(seed.equiv_mismatch_runs.size() == 1);

    const auto& repeat = *find(all, "repeat").toolchain;
    CHECK(*repeat.identical_bin == 1.0);
    CHECK(repeat.hamming.max == 0.0);
    CHECK_FALSE(repeat.functional);

    const auto& init = *find(all, "init").training;
    CHECK(init.pairs == 1);
    CHECK(init.identical_weights == 0.0);
    CHECK(init.weight_bits.mean == Approx(1.0 / 64)); // 2.0 vs -2.0: the sign bit
    CHECK(init.disagreement.mean == Approx(0.5));
    CHECK(init.ensemble_gain.mean == Approx(0.25));
    CHECK(init.accuracy.mean == Approx(0.75));
    CHECK(init.accuracy.std == 0.0);
}

TEST_CASE("the comparison table in every format, with the equivalence alarm") {
    fs::path dir = filled_store("table");
    db::Store store(dir / "detlab.db");
    auto rows = comparison_rows(analyse(store, std::string("handmade")));
    REQUIRE(rows.size() == 4);
    std::string text = format_table(rows, Format::text);
    // 1 of 2 runs differs from the first: Clopper-Pearson [1.26%, 98.7%]; 0 of 1: at most 97.5%.
    CHECK_THAT(text, Catch::Contains("differ from 1st") && Catch::Contains("not measured") &&
                         Catch::Contains("training") && Catch::Contains("1/2 (1.26-98.7%)") &&
                         Catch::Contains("0/1 (<=97.5%)") && Catch::Contains("2 (+1 failed)") &&
                         Catch::Contains("Fmax 0% (all identical) n=2") &&
                         Catch::Contains("(n=2 too small for a bootstrap interval) n=2") &&
                         Catch::Contains("mismatch on random vectors") &&
                         Catch::Contains("prediction disagreement on test set"));
    CHECK(text.find("functional distance") == std::string::npos);
    CHECK_THAT(text,
               Catch::Contains("Training metric set") && Catch::Contains("ensemble gain 25 pp"));
    std::string csv = format_table(rows, Format::csv);
    CHECK_THAT(csv, Catch::StartsWith("domain,experiment,study,factor,source,machine,machine_host,"
                                      "machine_cpu,machine_tools,runs"));
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 5);
    auto json = nlohmann::json::parse(format_table(rows, Format::json));
    REQUIRE(json.size() == 4);
    bool saw_training = false;
    for (const auto& row : json)
        if (row["domain"] == "training") {
            saw_training = true;
            // The functional figures keep their meanings apart: a training row fills only the
            // prediction disagreement, with the test inputs behind it.
            CHECK(row["prediction_disagreement"]["value"].get<double>() == Approx(0.5));
            CHECK(row["prediction_disagreement"]["n"] == 2);
            CHECK(row["prediction_inputs"].get<int>() > 0);
            CHECK(row["correctness_mismatch"]["value"].is_null());
            CHECK(row["correctness_vectors"].is_null());
            CHECK_FALSE(row.contains("functional_distance"));
            CHECK(row["identical_pairs_pct"].get<double>() == 0.0);
            CHECK(row["differ_from_first"]["runs_differing"] == 1);
            CHECK(row["quality_cv_pct"]["value"].get<double>() == 0.0); // exactly, not 1e-14
            CHECK(row["quality_cv_pct"]["note"] == "all identical");
            // Summers and Dinneen's metric set, with n; 2 runs give a pair mean but no interval.
            CHECK(row["ensemble_gain_pp"]["value"].get<double>() == Approx(25));
            CHECK(row["ensemble_gain_pp"]["n"] == 2);
            CHECK(row["ensemble_gain_pp"]["ci95"].is_null());
            CHECK_THAT(row["ensemble_gain_pp"]["note"].get<std::string>(),
                       Catch::Contains("too small for a bootstrap interval"));
            CHECK(row["logit_correlation"]["n"] == 2);
            CHECK(row["cross_entropy_std"]["n"] == 2);
        } else if (row["study"] == "seed") {
            CHECK(row["correctness_mismatch"]["value"].get<double>() == Approx(2.0 / 9));
            CHECK(row["correctness_vectors"].get<int>() == 3);
            CHECK(row["prediction_disagreement"]["value"].is_null());
            CHECK(row["prediction_inputs"].is_null());
        }
    CHECK(saw_training);
    CHECK_THAT(format_table(rows, Format::markdown), Catch::Contains("|---|"));
    auto alarms = equivalence_alarms(rows);
    REQUIRE(alarms.size() == 1);
    CHECK_THAT(alarms[0], Catch::Contains("equivalence check"));
    CHECK_THROWS_AS(parse_format("xml"), InputError);
}

TEST_CASE("markdown table cells escape separators and markup from stored names") {
    ComparisonRow row;
    row.domain = "toolchain";
    row.experiment = "ex|p";
    row.study = "a|b\nc <img src=x onerror=alert(1)> [l](javascript:x) *e* `c` \\|";
    std::string text = format_table({row}, Format::markdown);
    std::istringstream lines(text);
    std::size_t count = 0, header_separators = 0;
    for (std::string line; std::getline(lines, line); ++count) {
        // '|' not escaped by a backslash (itself not escaped) separates cells.
        std::size_t separators = 0, backslashes = 0;
        for (char c : line) {
            if (c == '|' && backslashes % 2 == 0)
                ++separators;
            backslashes = c == '\\' ? backslashes + 1 : 0;
        }
        if (count == 0)
            header_separators = separators; // the header's columns (no stored name in it)
        CHECK(separators == header_separators);
    }
    CHECK(header_separators >= 15); // 14 columns or more
    CHECK(count == 3);              // header, separator, the one row: the line break did not end it
    for (auto at = text.find('<'); at != std::string::npos; at = text.find('<', at + 1))
        CHECK(text[at - 1] == '\\'); // no tag: every '<' is escaped
    CHECK(text.find("[l](") == std::string::npos);
    CHECK_THAT(text, Catch::Contains("| ex\\|p |") &&
                         Catch::Contains("a\\|b c \\<img src=x onerror=alert(1)\\> "
                                         "\\[l\\](javascript:x) \\*e\\* \\`c\\` \\\\\\|"));
}

TEST_CASE("a stored proof that decided gives the run's verdict, an unfinished one leaves it") {
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "analysis" / "proof-verdict";
    fs::remove_all(dir);
    fs::create_directories(dir);
    db::Store store(dir / "detlab.db");
    store.put_experiment("handmade", "name = \"handmade\"\n");
    auto proof = [](const std::string& outcome) {
        return nlohmann::json{{"result", outcome == "unfinished" ? "no_difference" : outcome},
                              {"method", "proof"},
                              {"proof", outcome}}
            .dump();
    };
    // Seeds 1 and 2: no difference in 3 vectors (the simulation); seed 3 differs by simulation.
    auto proved = toolchain_run("seed", "seed", 1, 0x00, 100, true);
    proved.add_artifact("equiv_proof.json", std::string_view(proof("proved")));
    auto unfinished = toolchain_run("seed", "seed", 2, 0x00, 100, true);
    unfinished.add_artifact("equiv_proof.json", std::string_view(proof("unfinished")));
    auto differs = toolchain_run("seed", "seed", 4, 0x00, 100, false); // proof only
    differs.add_artifact("equiv_proof.json", std::string_view(proof("differs")));
    for (const auto& run : {proved, unfinished, differs})
        store.record_run(run);
    auto rows = comparison_rows(analyse(store, std::string("handmade")));
    REQUIRE(rows.size() == 1);
    CHECK(
        rows[0].equivalence ==
        "1/3 proved; 1/3 no difference in 3 vectors (mismatch rate <= 63% each, 95%); 1/3 DIFFER");
}
