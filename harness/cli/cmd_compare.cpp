// `detlab compare`: the cross-domain comparison table of the runs in a database.
#include "analysis/analysis.h"
#include "harness/cli/cli.h"

#include <iostream>
#include <memory>

namespace detlab::cli {
namespace {

struct CompareOptions {
    std::string experiment;
    std::string format = "text";
    bool machines = false;
};

void run_compare(const GlobalOptions& global, const CompareOptions& options) {
    analysis::Format format = analysis::parse_format(options.format);
    if (!std::filesystem::exists(global.db_path))
        throw InputError(global.db_path + ": no such database");
    db::Store store(global.db_path);
    std::optional<std::string> experiment;
    if (!options.experiment.empty())
        experiment = options.experiment;
    if (options.machines) {
        auto machines = analysis::compare_machines(store, experiment);
        if (machines.empty() && format == analysis::Format::text)
            std::cout << "No configuration in " << global.db_path
                      << " has done observations from two or more machines (merge databases "
                         "from other machines with 'detlab merge').\n";
        else
            std::cout << analysis::format_machines(machines, format);
        return;
    }
    auto rows = analysis::comparison_rows(analysis::analyse(store, experiment));
    if (rows.empty())
        throw InputError(global.db_path + ": experiment: no runs" +
                         (experiment ? " for '" + *experiment + "'" : std::string()));
    std::cout << analysis::format_table(rows, format);
    // Only under the human-readable table: csv/json/markdown output stays machine-parseable.
    if (format == analysis::Format::text) {
        for (const auto& m : analysis::model_on_bitstream_runs(store, experiment))
            std::cout << "models on bitstreams " << m.id << " (" << m.models << " x "
                      << m.bitstreams << ", " << m.samples << " samples): " << m.reading() << "\n";
        if (auto machines = analysis::compare_machines(store, experiment); !machines.empty())
            std::cout << "\n" << analysis::format_machines(machines, format);
    }
    for (const auto& alarm : analysis::equivalence_alarms(rows))
        std::cerr << "detlab: EQUIVALENCE CHECK FAILED: " << alarm << "\n";
}

const Registration registration(60, [](CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<CompareOptions>();
    auto* cmd = app.add_subcommand(
        "compare", "table comparing both domains: identical %, bit distance, functional "
                   "distance and quality spread per group of runs");
    add_db_option(*cmd, global);
    cmd->add_option("--experiment", options->experiment, "only runs of this experiment");
    cmd->add_option("--format", options->format, "text, csv, json or markdown")
        ->capture_default_str();
    cmd->add_flag("--machines", options->machines,
                  "only the cross-machine view: configurations observed on two or more machines "
                  "(host, CPU, tool versions), identical fraction and bit distance between them");
    cmd->callback([&global, options] { run_compare(global, *options); });
});

} // namespace
} // namespace detlab::cli
