// `detlab report`: the self-contained HTML report with plots and the comparison CSV.
#include "analysis/analysis.h"
#include "harness/cli/cli.h"

#include <iostream>
#include <memory>

namespace detlab::cli {
namespace {

struct ReportCliOptions {
    std::string experiment;
    std::string out_dir = "report";
};

void run_report(const GlobalOptions& global, const ReportCliOptions& options) {
    db::Store store = open_existing_store(global);
    analysis::ReportOptions report;
    if (!options.experiment.empty())
        report.experiment = options.experiment;
    report.out_dir = options.out_dir;
    analysis::ReportFiles files = analysis::write_report(store, report);
    std::cout << "wrote " << files.html.string() << " (" << files.groups << " groups, "
              << files.plots.size() << " plots), " << files.csv.string() << "\n";
    for (const auto& plot : files.plots)
        std::cout << "  " << plot.svg.string() << ", " << plot.png.string() << ": " << plot.title
                  << "\n";
    for (const auto& damaged : files.damaged)
        std::cerr << "detlab: DAMAGED DATA, left out of the report: " << damaged << "\n";
}

const Registration registration(61, [](CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<ReportCliOptions>();
    auto* cmd = app.add_subcommand("report", "write report.html (self-contained), the plots "
                                             "(SVG, PNG) and comparison.csv into a directory");
    add_db_option(*cmd, global);
    cmd->add_option("--out", options->out_dir, "output directory")->capture_default_str();
    cmd->add_option("--experiment", options->experiment, "only runs of this experiment");
    cmd->callback([&global, options] { run_report(global, *options); });
});

} // namespace
} // namespace detlab::cli
