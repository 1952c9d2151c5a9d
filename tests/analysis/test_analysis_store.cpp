// Grouping, summaries, the comparison table, plots and the report on a hand-filled store.
#include "analysis/analysis.h"
#include "harness/process/process.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

using namespace detlab;
using namespace detlab::analysis;
namespace fs = std::filesystem;

namespace {

// A minimal iCE40 bitstream with one 16 x 8 CRAM bank holding `cram`.
Bytes tiny_bin(std::uint8_t first_byte) {
    // One initializer list, no appends: GCC 12 at -O3 reports a false array-bounds error for
    // growing the vector here once the file's other tests change what it inlines.
    return Bytes{0xFF, 0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E,       0x62, 0x00, 0x0F,
                 0x72, 0x00, 0x08, 0x11, 0x00, 0x01, 0x01, first_byte, 0x5A, 0x5A, 0x5A,
                 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A,       0x5A, 0x5A, 0x5A,
                 0x5A, 0x00, 0x00, 0x22, 0x00, 0x00, 0x01, 0x06,       0x00};
}

Bytes equiv_outputs(std::int32_t last) {
    std::vector<std::int32_t> words{1, 2, 3, 4, 5, last}; // 3 vectors x 2 words
    Bytes out(words.size() * 4);
    std::memcpy(out.data(), words.data(), out.size());
    return out;
}

db::RunResult toolchain_run(const std::string& study, const std::string& factor, int value,
                            std::uint8_t cram, double fmax, bool with_equiv) {
    db::RunResult r;
    nlohmann::json config{{"seed", value}, {"study", study}};
    r.config_json = config.dump();
    r.repeat = factor == "repeat" ? value : 0;
    r.id = db::run_id("toolchain", r.config_json, r.repeat);
    r.experiment = "handmade";
    r.kind = "toolchain";
    r.host = "testhost";
    r.add_param("seed", factor == "seed" ? std::to_string(value) : "1");
    if (!study.empty()) {
        r.add_param("study", study);
        r.add_param("factor", factor);
        r.add_param("factor_value", std::to_string(value));
    }
    r.add_artifact("netlist.json", std::string_view("{\"same\":1}"));
    r.add_artifact("bitstream.asc", std::string_view(cram == 0x00 ? "asc A" : "asc B"));
    r.add_artifact("bitstream.bin", tiny_bin(cram));
    r.add_metric("fmax_mhz", fmax);
    r.add_metric("logic_cells", 100);
    r.add_metric("tools_wall_s", 2.5);
    if (with_equiv) {
        r.add_artifact("equiv_outputs.bin", equiv_outputs(cram == 0x00 ? 6 : 7));
        r.add_metric("equiv_vectors", 3);
        r.add_metric("equiv_mismatches", cram == 0x00 ? 0 : 1);
    }
    r.provenance = {{"yosys", "Yosys 0.23"}, {"argv.yosys", "[\"yosys\",\"-q\"]"}};
    return r;
}

db::RunResult training_run(int seed, float w, std::vector<float> logits, double acc) {
    db::RunResult r;
    r.config_json = nlohmann::json{{"init_seed", seed}}.dump();
    r.id = db::run_id("train", r.config_json, 0);
    r.experiment = "handmade";
    r.kind = "train";
    r.add_param("init_seed", std::to_string(seed));
    r.add_param("study", "init");
    r.add_param("factor", "init_seed");
    r.add_param("factor_value", std::to_string(seed));
    r.add_artifact("weights.bin", encode_tensors({{"w1", {2}, {1.0f, w}}}));
    r.add_artifact("test_logits.bin",
                   encode_tensors({{"logits", {4, 2}, logits}, {"labels", {4}, {0, 1, 1, 0}}}));
    for (int epoch = 1; epoch <= 3; ++epoch) {
        r.add_metric("test_accuracy", acc * epoch / 3, epoch);
        r.add_metric("train_loss", 1.0 / epoch, epoch);
    }
    r.add_metric("final_test_accuracy", acc);
    r.add_metric("final_test_loss", 0.5);
    return r;
}

fs::path filled_store(const std::string& name) {
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "analysis" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    db::Store store(dir / "detlab.db");
    store.put_experiment("handmade", "# hand-made experiment\nname = \"handmade\"\n");
    store.record_run(toolchain_run("seed", "seed", 1, 0x00, 100, true));
    store.record_run(toolchain_run("seed", "seed", 2, 0x00, 110, true));
    store.record_run(toolchain_run("seed", "seed", 3, 0x01, 120, true));
    store.record_run(toolchain_run("repeat", "repeat", 0, 0x00, 100, false));
    store.record_run(toolchain_run("repeat", "repeat", 1, 0x00, 100, false));
    store.record_run(toolchain_run("", "seed", 7, 0x00, 90, false)); // ad-hoc
    store.record_run(toolchain_run("", "seed", 8, 0x01, 91, false));
    auto lone = toolchain_run("", "seed", 9, 0x01, 80, false); // ad-hoc, nothing to compare
    lone.add_param("device", "hx8k");
    store.record_run(lone);
    store.record_run(training_run(1, 2.0f, {2, 0, 0, 2, 0, 3, 0, 1}, 0.75));
    store.record_run(training_run(2, -2.0f, {2, 0, 0, 2, 1, 0, 3, 0}, 0.75));
    auto failed = training_run(3, 0, {0, 0, 0, 0, 0, 0, 0, 0}, 0);
    failed.status = db::kStatusFailed;
    failed.message = "verilator: out of memory";
    store.record_run(failed);
    return dir;
}

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

TEST_CASE("plots are non-empty SVG and PNG files made by gnuplot", "[tools]") {
    fs::path dir = filled_store("plots");
    db::Store store(dir / "detlab.db");
    auto plots = make_plots(analyse(store, std::nullopt), dir / "plots");
    std::set<std::string> names;
    for (const auto& p : plots) {
        names.insert(p.svg.stem().string());
        std::string svg = read_file_text(p.svg);
        CHECK_THAT(svg, Catch::Contains("<svg") && Catch::Contains("</svg>"));
        Bytes png = read_file_bytes(p.png);
        REQUIRE(png.size() > 1000);
        CHECK(png[1] == 'P');
        CHECK(png[2] == 'N');
    }
    CHECK(names == std::set<std::string>{"domains", "fmax", "heatmap", "disagreement", "curves_0"});
    CHECK_THAT(read_file_text(dir / "plots" / "fmax.svg"), Catch::Contains("Fmax (MHz)"));
}

TEST_CASE("report.html is self-contained with the table, inline plots and provenance", "[tools]") {
    fs::path dir = filled_store("report");
    db::Store store(dir / "detlab.db");
    ReportFiles files = write_report(store, {std::nullopt, dir / "out"});
    std::string html = read_file_text(files.html);
    CHECK_THAT(html, Catch::Contains("<table class=cmp>") &&
                         Catch::Contains("data:image/svg+xml;base64,") &&
                         Catch::Contains("Equivalence check failures") &&
                         Catch::Contains("# hand-made experiment") &&
                         Catch::Contains("Yosys 0.23") &&
                         Catch::Contains("verilator: out of memory"));
    CHECK(html.find("src=\"http") == std::string::npos); // nothing fetched from the network
    CHECK(html.find("<script") == std::string::npos);
    CHECK(files.plots.size() == 5);
    CHECK_THAT(read_file_text(files.csv),
               Catch::Contains("toolchain,handmade,seed,seed,seed,testhost #01ba47,testhost,,,3"));
}

TEST_CASE("detlab compare and report on the command line", "[cli][tools]") {
    fs::path dir = filled_store("cli");
    std::string db = (dir / "detlab.db").string();
    process::Spec spec;
    spec.argv = {DETLAB_BINARY, "compare", "--db", db, "--format", "markdown"};
    auto result = process::run(spec);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out,
               Catch::Contains("| toolchain | handmade | seed | seed | testhost #01ba47 | 3 |"));
    CHECK_THAT(result.err, Catch::Contains("EQUIVALENCE CHECK FAILED"));

    spec.argv = {DETLAB_BINARY, "compare", "--db", db, "--format", "xml"};
    result = process::run(spec);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("--format"));
    spec.argv = {DETLAB_BINARY, "compare", "--db", (dir / "missing.db").string()};
    CHECK(process::run(spec).exit_code == 2);

    spec.argv = {DETLAB_BINARY, "report", "--db", db, "--out", (dir / "rep").string()};
    result = process::run(spec);
    CHECK(result.exit_code == 0);
    CHECK(fs::file_size(dir / "rep" / "report.html") > 10000);
}

namespace {

// Shaped like equiv::model_report_run's output (the analysis does not link the equiv module).
db::RunResult model_on_bitstream_run(int models, int prediction_mismatches, bool identical,
                                     std::optional<double> disagreement,
                                     const std::string& pick = "") {
    db::RunResult r;
    r.kind = "model_on_bitstream";
    nlohmann::json config{{"train_runs", models}, {"samples", 20}};
    if (!pick.empty())
        config["pick"] = pick;
    r.config_json = config.dump();
    r.id = db::run_id(r.kind, r.config_json, 0);
    r.experiment = "handmade";
    r.add_param("samples", "20");
    if (!pick.empty()) // runs from before the option have no such parameter
        r.add_param("pick", pick);
    r.add_metric("models", models);
    r.add_metric("bitstreams", 3);
    r.add_metric("samples", 20);
    r.add_metric("prediction_mismatches", prediction_mismatches);
    r.add_metric("logit_mismatches", prediction_mismatches * 10);
    r.add_metric("identical_across_bitstreams", identical ? 1 : 0);
    if (disagreement)
        r.add_metric("model_disagreement", *disagreement);
    r.add_artifact("model_on_bitstream.json", std::string_view("{}"));
    return r;
}

} // namespace

TEST_CASE("model_on_bitstream runs get their own report section and stay out of the table",
          "[cli][tools]") {
    fs::path dir = filled_store("models");
    db::Store store(dir / "detlab.db");
    std::string before = read_file_text(write_report(store, {std::nullopt, dir / "before"}).html);
    CHECK_THAT(before, Catch::Contains("Trained models on bitstreams") &&
                           Catch::Contains("None recorded") &&
                           Catch::Contains("detlab equiv model"));

    store.record_run(model_on_bitstream_run(2, 0, true, 0.15));
    store.record_run(model_on_bitstream_run(1, 2, false, std::nullopt));
    CHECK(group_runs(load_runs(store, std::nullopt)).size() == 5);
    CHECK(comparison_rows(analyse(store, std::string("handmade"))).size() == 4);

    auto runs = model_on_bitstream_runs(store, std::nullopt);
    REQUIRE(runs.size() == 2);
    CHECK(model_on_bitstream_runs(store, std::string("other")).empty());
    const ModelOnBitstream& good = runs[0].models == 2 ? runs[0] : runs[1];
    const ModelOnBitstream& bad = runs[0].models == 2 ? runs[1] : runs[0];
    CHECK(good.bitstreams == 3);
    CHECK(good.samples == 20);
    CHECK(good.identical_across_bitstreams);
    REQUIRE(good.model_disagreement);
    CHECK(*good.model_disagreement == Approx(0.15));
    CHECK(good.reading() == "each model's predictions are identical on all 3 bitstreams; every "
                            "prediction and logit equals the golden model's; the 2 models "
                            "disagree with each other on 15.0% of samples.");
    CHECK(bad.prediction_mismatches == 2);
    CHECK(bad.logit_mismatches == 20);
    CHECK_FALSE(bad.model_disagreement);
    CHECK_THAT(bad.reading(), Catch::Contains("DIFFER") && Catch::Contains("equivalence failure"));

    std::string html = read_file_text(write_report(store, {std::nullopt, dir / "after"}).html);
    CHECK(html.find("None recorded") == std::string::npos);
    CHECK_THAT(html, Catch::Contains("<td>2 &times; 3</td><td>20</td>") &&
                         Catch::Contains("<td>15.0%</td>") && Catch::Contains(">yes<") &&
                         Catch::Contains(">2 / 20<") && Catch::Contains(good.id) &&
                         Catch::Contains("disagree with each other on 15.0% of samples"));

    process::Spec spec;
    spec.argv = {DETLAB_BINARY, "compare", "--db", (dir / "detlab.db").string()};
    auto result = process::run(spec);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("models on bitstreams " + good.id + " (2 x 3"));
    spec.argv.insert(spec.argv.end(), {"--format", "csv"});
    CHECK(process::run(spec).out.find("models on bitstreams") == std::string::npos);
}

TEST_CASE("a disagreement rate of samples picked for disagreement is not read as the split's",
          "[tools]") {
    fs::path dir = filled_store("models-picked");
    db::Store store(dir / "detlab.db");
    store.record_run(model_on_bitstream_run(2, 0, true, 0.4, "disagreement"));
    store.record_run(model_on_bitstream_run(3, 0, true, 0.05, "first"));
    auto runs = model_on_bitstream_runs(store, std::nullopt);
    REQUIRE(runs.size() == 2);
    const ModelOnBitstream& picked = runs[0].models == 2 ? runs[0] : runs[1];
    const ModelOnBitstream& first = runs[0].models == 2 ? runs[1] : runs[0];
    CHECK(picked.pick == "disagreement");
    CHECK(first.pick == "first");
    CHECK_THAT(picked.reading(), Catch::EndsWith("disagree with each other on 40.0% of samples "
                                                 "(picked where they disagree, not a rate for "
                                                 "the whole test split)."));
    CHECK_THAT(first.reading(), Catch::EndsWith("on 5.0% of samples."));
    std::string html = read_file_text(write_report(store, {std::nullopt, dir / "report"}).html);
    CHECK_THAT(html, Catch::Contains("<td>2 &times; 3</td><td>20 (disagreement first)</td>") &&
                         Catch::Contains("<td>3 &times; 3</td><td>20</td>"));
}

TEST_CASE("names from the data never run as gnuplot code", "[tools]") {
    // Every plot shows study or factor names; these hold what gnuplot would execute (a line
    // starting with '!', backquotes inside double quotes) or misparse (quotes, backslashes).
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "analysis" / "hostile";
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::path marker = dir / "pwned";
    std::string evil = "s\n!touch " + marker.string() + "-bang\n`touch " + marker.string() +
                       "-tick` \"q\" 'a' \\ \\\" Größe # @x | col <b>x</b>";
    {
        db::Store store(dir / "detlab.db");
        store.put_experiment("handmade", "name = \"handmade\"\n");
        for (int seed = 1; seed <= 3; ++seed)
            store.record_run(
                toolchain_run(evil, "seed", seed, seed == 3 ? 0x01 : 0x00, 100 + seed, false));
        for (int seed = 1; seed <= 2; ++seed) {
            auto run = training_run(seed, seed == 1 ? 2.0f : -2.0f,
                                    {2, 0, 0, 2, 0, 3, 0, static_cast<float>(seed)}, 0.75);
            for (auto& [key, value] : run.params)
                if (key == "study" || key == "factor" || key == "factor_value")
                    value = evil + key;
            store.record_run(run);
        }
    }
    db::Store store(dir / "detlab.db");
    auto plots = make_plots(analyse(store, std::nullopt), dir / "plots");
    CHECK(plots.size() == 5);
    for (const char* suffix : {"-bang", "-tick"})
        CHECK_FALSE(fs::exists(marker.string() + suffix));
    for (const auto& entry : fs::directory_iterator(dir / "plots"))
        CHECK(entry.path().filename().string().find("pwned") == std::string::npos);
    // The names are shown (as one line), not dropped.
    std::string heatmap = read_file_text(dir / "plots" / "heatmap.svg");
    CHECK_THAT(heatmap, Catch::Contains("Größe"));
    CHECK_THAT(read_file_text(dir / "plots" / "curves_0.svg"), Catch::Contains("Größe"));
    CHECK_THAT(read_file_text(dir / "plots" / "fmax.svg"), Catch::Contains("Größe"));
    // The report's table: a '|' or a line break in a name is text in its own cell, never a
    // column or a tag; every row has the header's number of cells.
    std::string html = read_file_text(write_report(store, {std::nullopt, dir / "report"}).html);
    CHECK(html.find("<b>x</b>") == std::string::npos);
    CHECK_THAT(html, Catch::Contains("| col &lt;b&gt;x&lt;/b&gt;"));
    auto table = html.substr(html.find("<table class=cmp>"));
    table = table.substr(0, table.find("</table>"));
    std::size_t rows = 0, header_cells = 0;
    for (std::size_t at = table.find("<tr>"); at != std::string::npos;
         at = table.find("<tr>", at + 1), ++rows) {
        auto row = table.substr(at, table.find("</tr>", at) - at);
        std::size_t cells = 0;
        for (const char* tag : {"<td", "<th"})
            for (auto cell = row.find(tag); cell != std::string::npos;
                 cell = row.find(tag, cell + 1))
                ++cells;
        if (rows == 0)
            header_cells = cells;
        CHECK(cells == header_cells);
    }
    CHECK(header_cells >= 14); // the header row has every column: none was split by a name
    CHECK(rows >= 3);
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
