// What the analysis draws and writes from a hand-filled store: gnuplot's plots, report.html,
// `detlab compare` and `report`, the models-on-bitstreams section, and names from the data that
// must never run as gnuplot code. Every case runs gnuplot ([tools]). Grouping, summaries and
// the table: test_analysis_store.cpp.
#include "harness/process/process.h"
#include "tests/analysis/handmade_store.h"
#include "tests/fresh_dir.h"

#include <catch2/catch.hpp>
#include <set>

using namespace detlab;
using namespace detlab::analysis;
using namespace detlab::testing;

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
    // The machine: host, a digest of CPU and tools, and the store's session.
    std::string machine = "testhost #01ba47 s" + store.store_id().substr(0, 6);
    CHECK_THAT(read_file_text(files.csv),
               Catch::Contains("toolchain,handmade,seed,seed,seed," + machine + ",testhost,,,3"));
}

TEST_CASE("detlab compare and report on the command line", "[cli][tools]") {
    fs::path dir = filled_store("cli");
    std::string db = (dir / "detlab.db").string();
    process::Spec spec;
    spec.argv = {DETLAB_BINARY, "compare", "--db", db, "--format", "markdown"};
    auto result = process::run(spec);
    CHECK(result.exit_code == 0);
    std::string session = db::Store(dir / "detlab.db").store_id().substr(0, 6);
    CHECK_THAT(result.out,
               Catch::Contains("| toolchain | handmade | seed | seed | testhost #01ba47 s" +
                               session + " | 3 |"));
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
    fs::path dir = detlab::test::fresh_dir("analysis", "hostile");
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
