// `detlab suite` (issue 27): the design suite's table per design and family, against logic
// utilisation, with the plots of the seed's bit distance and Fmax spread against utilisation.
#include "analysis/analysis.h"
#include "harness/cli/cli.h"

#include <iostream>
#include <memory>

namespace detlab::cli {
namespace {

struct SuiteCliOptions {
    std::string experiment;
    std::string out_dir = "suite-report";
};

void run_suite(const GlobalOptions& global, const SuiteCliOptions& options) {
    db::Store store = open_existing_store(global);
    std::optional<std::string> experiment;
    if (!options.experiment.empty())
        experiment = options.experiment;
    auto rows = analysis::suite_rows(analysis::analyse(store, experiment));
    std::cout << analysis::suite_table(rows);
    std::filesystem::create_directories(options.out_dir);
    auto csv = std::filesystem::path(options.out_dir) / "suite.csv";
    write_file(csv, analysis::suite_csv(rows));
    std::cout << "wrote " << csv.string() << "\n";
    for (const auto& plot : analysis::suite_plots(rows, options.out_dir))
        std::cout << "  " << plot.svg.string() << ", " << plot.png.string() << ": " << plot.title
                  << "\n";
}

const Registration registration(62, [](CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<SuiteCliOptions>();
    auto* cmd = app.add_subcommand(
        "suite", "the design suite per design and family against logic utilisation: a table, "
                 "suite.csv and plots (SVG, PNG) in a directory");
    add_db_option(*cmd, global);
    cmd->add_option("--out", options->out_dir, "output directory")->capture_default_str();
    cmd->add_option("--experiment", options->experiment, "only runs of this experiment");
    cmd->callback([&global, options] { run_suite(global, *options); });
});

} // namespace
} // namespace detlab::cli
