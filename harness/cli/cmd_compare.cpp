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
    bool verdict = false;
};

struct VerdictOptions {
    std::string experiment;
    std::string format = "text";
};

std::optional<std::string> experiment_filter(const std::string& name) {
    return name.empty() ? std::nullopt : std::optional<std::string>(name);
}

std::vector<analysis::ComparisonRow> load_rows(const GlobalOptions& global,
                                               const std::string& experiment_name) {
    db::Store store = open_existing_store(global);
    auto experiment = experiment_filter(experiment_name);
    auto rows = analysis::comparison_rows(analysis::analyse(store, experiment));
    if (rows.empty())
        throw InputError(global.db_path + ": experiment: no runs" +
                         (experiment ? " for '" + *experiment + "'" : std::string()));
    return rows;
}

// Damaged data is named on stderr too, so it is seen with every output format; the command
// still succeeds on the rest (`detlab db check` is the one that fails on it).
void report_damage(const std::vector<analysis::ComparisonRow>& rows) {
    for (const auto& damaged : analysis::damaged_alarms(rows))
        std::cerr << "detlab: DAMAGED DATA, left out: " << damaged << "\n";
}

void report_damage(const std::vector<analysis::MachineComparison>& machines) {
    for (const auto& m : machines)
        for (const auto& d : m.damaged)
            std::cerr << "detlab: DAMAGED DATA, left out of the bit distance: " << m.label << ": "
                      << d.text() << "\n";
}

void run_verdict(const GlobalOptions& global, const VerdictOptions& options) {
    if (options.format != "text" && options.format != "json")
        throw InputError("--format: '" + options.format + "' is not one of: text, json");
    auto rows = load_rows(global, options.experiment);
    report_damage(rows);
    auto list = analysis::verdicts(rows);
    if (options.format == "text") {
        std::cout << analysis::format_verdicts(list);
        return;
    }
    std::cout << analysis::format_verdicts_json(list);
}

void run_compare(const GlobalOptions& global, const CompareOptions& options) {
    analysis::Format format = analysis::parse_format(options.format);
    if (options.verdict && format != analysis::Format::text && format != analysis::Format::markdown)
        throw InputError("--verdict: only with --format text or markdown (machine-readable: "
                         "detlab verdict --format json)");
    if (options.machines) {
        db::Store store = open_existing_store(global);
        auto machines = analysis::compare_machines(store, experiment_filter(options.experiment));
        if (machines.empty() && format == analysis::Format::text)
            std::cout << "No configuration in " << global.db_path
                      << " has done observations from two or more machines (merge databases "
                         "from other machines with 'detlab merge').\n";
        else
            std::cout << analysis::format_machines(machines, format);
        report_damage(machines);
        return;
    }
    db::Store store = open_existing_store(global);
    auto experiment = experiment_filter(options.experiment);
    auto summaries = analysis::analyse(store, experiment);
    auto rows = analysis::comparison_rows(summaries);
    if (rows.empty())
        throw InputError(global.db_path + ": experiment: no runs" +
                         (experiment ? " for '" + *experiment + "'" : std::string()));
    auto factorial = analysis::factorial_analyses(summaries);
    if (format == analysis::Format::text) {
        std::cout << analysis::format_table(rows, format);
    } else {
        // Machine-readable output: a grid's factors as rows of their own (grid_term set).
        auto all = rows;
        for (auto& row : analysis::factorial_rows(factorial))
            all.push_back(std::move(row));
        std::cout << analysis::format_table(all, format);
    }
    if (options.verdict)
        std::cout << "\nVerdict\n" << analysis::format_verdicts(analysis::verdicts(rows));
    // Only under the human-readable table: csv/json/markdown output stays machine-parseable.
    if (format == analysis::Format::text) {
        if (auto effects = analysis::format_effects(rows); !effects.empty())
            std::cout << "\nEffects against the baseline (difference in mean, Welch 95% interval; "
                         "largest first)\n"
                      << effects;
        if (auto grids = analysis::format_factorial(factorial); !grids.empty())
            std::cout << "\nGrids as factorial experiments (sums of squares over cells: share of "
                         "the total (eta^2, sums to 100%), partial eta^2 with its noncentral-F "
                         "95% interval, main effects vs the first level with Welch 95%)\n"
                      << grids;
        if (auto versions = analysis::toolchain_versions(store, experiment); !versions.empty())
            std::cout << "\nToolchain versions (same RTL and seed on each toolchain root)\n"
                      << analysis::format_toolchain_versions(versions, format);
        bool heading = false;
        for (const auto& row : rows) {
            if (row.equivalence.empty())
                continue;
            if (!heading)
                std::cout << "\nEquivalence check (each bitstream vs the golden model, or vs its "
                             "own design's synthesised netlist)\n";
            heading = true;
            std::cout << "  " << row.experiment << " / " << row.study << ": " << row.equivalence
                      << "\n";
        }
        for (const auto& m : analysis::model_on_bitstream_runs(store, experiment))
            std::cout << "models on bitstreams " << m.id << " (" << m.models << " x "
                      << m.bitstreams << ", " << m.samples << " samples): " << m.reading() << "\n";
        if (auto machines = analysis::compare_machines(store, experiment); !machines.empty()) {
            std::cout << "\n" << analysis::format_machines(machines, format);
            report_damage(machines);
        }
    }
    for (const auto& alarm : analysis::equivalence_alarms(rows))
        std::cerr << "detlab: EQUIVALENCE CHECK FAILED: " << alarm << "\n";
    report_damage(rows);
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
    cmd->add_flag("--verdict", options->verdict, "also print the verdict on the six claims");
    cmd->callback([&global, options] { run_compare(global, *options); });
});

const Registration verdict_registration(62, [](CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<VerdictOptions>();
    auto* cmd = app.add_subcommand(
        "verdict", "what the measured data says about the six claims (supported, contradicted "
                   "or cannot decide), with the figures, intervals and n behind each");
    add_db_option(*cmd, global);
    cmd->add_option("--experiment", options->experiment, "only runs of this experiment");
    cmd->add_option("--format", options->format, "text or json")->capture_default_str();
    cmd->callback([&global, options] { run_verdict(global, *options); });
});

} // namespace
} // namespace detlab::cli
