// `detlab equiv model`: trained models' inference on bitstreams (every product on the simulated
// netlist), compared with the golden model and recorded as a model_on_bitstream run. It is a
// subcommand of `detlab equiv` (cmd_equiv.cpp), so it registers after it.
#include "harness/cli/cli.h"
#include "harness/model_on_bitstream/model_on_bitstream.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

namespace detlab::cli {
namespace {

struct ModelCliOptions {
    std::vector<std::string> train_runs, toolchain_runs;
    int samples = 20;
    std::string pick = "first";
    std::string simulator = "auto";
    std::string json_path;
};

std::string joined(const std::vector<int>& values) {
    std::string text;
    for (int v : values)
        text += std::to_string(v);
    return text;
}

void run_model(const GlobalOptions& global, const ModelCliOptions& options) {
    db::Store store = open_existing_store(global);
    model_on_bitstream::ModelOptions model;
    model.samples = options.samples;
    model.pick = model_on_bitstream::parse_sample_pick(options.pick);
    model.simulator = equiv::parse_simulator(options.simulator);
    if (model.simulator == equiv::Simulator::automatic)
        model.simulator = equiv::Simulator::verilator;
    auto report = model_on_bitstream::run_models_on_bitstreams(store, options.train_runs,
                                                               options.toolchain_runs, model);
    if (report.pick == model_on_bitstream::SamplePick::disagreement)
        std::printf("samples: %zu of the test split, led by the %zu where the models' golden "
                    "predictions over the whole split differ\n",
                    report.sample_indices.size(),
                    std::min(report.split_disagreements.size(), report.sample_indices.size()));
    std::printf("%-16s  %-16s  %-*s  %s\n", "train run", "toolchain run",
                static_cast<int>(report.results.empty() ? 0 : report.results[0].labels.size()),
                "predictions", "vs golden");
    int bad = 0;
    for (const auto& r : report.results) {
        std::printf("%-16s  %-16s  %s  %d differ, %d/%zu correct\n", r.train_run.c_str(),
                    r.toolchain_run.c_str(), joined(r.netlist_predictions).c_str(),
                    r.prediction_mismatches, r.correct, r.labels.size());
        bad += r.logit_mismatches > 0;
    }
    if (!report.results.empty())
        std::printf("%-16s  %-16s  %s\n", "labels", "", joined(report.results[0].labels).c_str());
    for (const auto& [id, same] : report.identical_across_bitstreams)
        std::printf("model %s: predictions %s across the bitstreams\n", id.c_str(),
                    same ? "identical" : "DIFFER");
    for (const auto& [a, b, differ] : report.model_disagreements)
        std::printf("models %s vs %s: %d of %d predictions differ\n", a.c_str(), b.c_str(), differ,
                    static_cast<int>(report.results[0].labels.size()));
    std::printf("simulation: %llu tile jobs, %llu cycles, compile %.1f s, simulate %.1f s, "
                "total %.1f s\n",
                static_cast<unsigned long long>(report.timing.jobs),
                static_cast<unsigned long long>(report.timing.cycles), report.timing.compile_s,
                report.timing.simulate_s, report.wall_s);
    if (!options.json_path.empty())
        write_file(options.json_path, model_on_bitstream::to_json(report).dump(2) + "\n");
    // Recorded even when pairs differ from golden: the report must show the failure too.
    auto run = model_on_bitstream::record_model_report(store, report);
    std::printf("recorded as run %s (kind %s)\n", run.id.c_str(), run.kind.c_str());
    if (bad) {
        std::cerr << "detlab: EQUIVALENCE CHECK FAILED: " << bad
                  << " model/bitstream pair(s) differ from the golden model\n";
        throw CLI::RuntimeError(1);
    }
}

// Order 46: `detlab equiv` (45) exists by now.
const Registration registration(46, [](CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<ModelCliOptions>();
    auto* model = app.get_subcommand("equiv")->add_subcommand(
        "model", "run trained models' inference on bitstreams (every product on the simulated "
                 "netlist) and compare the predictions with the golden model's");
    add_db_option(*model, global);
    model->add_option("--train-run", options->train_runs, "train run ids (weights.bin)")
        ->required();
    model->add_option("--toolchain-run", options->toolchain_runs, "toolchain run ids (bitstream)")
        ->required();
    model->add_option("--samples", options->samples, "samples of the test split to run")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    model
        ->add_option("--pick", options->pick,
                     "first: the split's first samples; disagreement: first those where two "
                     "models' golden predictions differ")
        ->check(CLI::IsMember({"first", "disagreement"}))
        ->capture_default_str();
    model->add_option("--simulator", options->simulator, "iverilog or verilator (auto: verilator)");
    model->add_option("--json", options->json_path, "also write the full result as JSON");
    model->callback([&global, options] { run_model(global, *options); });
});

} // namespace
} // namespace detlab::cli
