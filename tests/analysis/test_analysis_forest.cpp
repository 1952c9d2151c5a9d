// The report's forest plot of the distances from the baseline (`forest_distance`), drawn by real
// gnuplot ([tools]) from a planted store whose study names hold gnuplot code: the names reach
// gnuplot only as quoted labels in the .dat files, never in the script.
#include "tests/analysis/planted_distances.h"
#include "tests/fresh_dir.h"

#include <catch2/catch.hpp>
#include <sstream>

using namespace detlab;
using namespace detlab::analysis;
using namespace detlab::testing;
namespace fs = std::filesystem;

namespace {

// The lines of a data file, each checked to be one record: a number prefix and one quoted label.
std::vector<std::string> data_lines(const fs::path& file) {
    std::istringstream in(read_file_text(file));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        CHECK(std::count(line.begin(), line.end(), '"') == 2);
        CHECK(line.back() == '"');
        lines.push_back(line);
    }
    return lines;
}

} // namespace

TEST_CASE("the report's forest_distance plot: both domains, largest on top, and names with quotes, "
          "newlines and backquotes stay labels",
          "[tools]") {
    fs::path dir = detlab::test::fresh_dir("analysis-forest", "hostile");
    fs::path marker = dir / "pwned";
    std::string evil = "s\n!touch " + marker.string() + "-bang\n`touch " + marker.string() +
                       "-tick` \"q\" 'a' \\ Größe";
    {
        db::Store store(dir / "detlab.db");
        const Bytes reference = reference_bits();
        DeterministicRng rng(26);
        for (int r = 0; r < 3; ++r) { // deterministic baselines: 10 study runs give intervals
            store.record_run(planted_build("baseline", "repeat", r, reference));
            store.record_run(planted_training("baseline", "repeat", r, {0, 1, 1, 0}, 0.25f));
        }
        for (int r = 0; r < 10; ++r) {
            store.record_run(planted_build(evil, "seed", r, perturbed(reference, 0.1, rng)));
            store.record_run(
                planted_build("far " + evil, "seed", r, perturbed(reference, 0.3, rng)));
            store.record_run(planted_training(evil, "init_seed", 10 + r, {0, 1, r % 2, 0}));
        }
    }
    db::Store store(dir / "detlab.db");
    ReportFiles files = write_report(store, {std::nullopt, dir / "report"});
    for (const char* suffix : {"-bang", "-tick"})
        CHECK_FALSE(fs::exists(marker.string() + suffix));

    fs::path out = dir / "report";
    bool listed = false;
    for (const auto& plot : files.plots)
        listed = listed || plot.svg == out / "forest_distance.svg";
    CHECK(listed);
    CHECK(fs::file_size(out / "forest_distance.png") > 1000);
    // The script is detlab's own text: no name, no backquote.
    std::string script = read_file_text(out / "forest_distance.gp");
    CHECK(script.find("touch") == std::string::npos);
    CHECK(script.find('`') == std::string::npos);
    CHECK(script.find("Größe") == std::string::npos);

    auto toolchain = data_lines(out / "forest_distance_toolchain.dat");
    REQUIRE(toolchain.size() == 2); // one line per study, each name on one line
    CHECK_THAT(toolchain[1], Catch::Contains("far s !touch")); // 0.6 of unrelated: on top
    CHECK_THAT(toolchain[0], Catch::Contains("n=10 vs 3 identical baseline runs"));
    CHECK(toolchain[0].find("\"q\"") == std::string::npos); // the name's quotes are not fields
    CHECK(data_lines(out / "forest_distance_training.dat").size() == 1);
    auto predictions = data_lines(out / "forest_distance_predictions.dat");
    REQUIRE(predictions.size() == 1);
    CHECK(predictions[0].rfind("1 12.5 ", 0) == 0); // half the models differ on 1 of 4 inputs

    std::string svg = read_file_text(out / "forest_distance.svg");
    CHECK_THAT(svg, Catch::Contains("Größe")); // the names are shown, as text
    CHECK_THAT(svg, Catch::Contains("training: predictions"));
    CHECK_THAT(read_file_text(files.html),
               Catch::Contains("Distances from the baseline's outputs (forest plot)"));
}
