// `detlab equiv`: the functional equivalence check of stored bitstreams, trained models run on
// bitstreams (`detlab equiv model`), and `detlab bench equiv` (iverilog against Verilator).
#include "harness/cli/cli.h"
#include "harness/equiv/equiv.h"
#include "harness/toolchain/toolchain.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

namespace detlab::cli {
namespace {

struct EquivOptions {
    std::vector<std::string> runs;
    int vectors = equiv::kDefaultVectors;
    std::uint64_t seed = equiv::kDefaultVectorSeed;
    std::string simulator = "auto";
    // model
    std::vector<std::string> train_runs, toolchain_runs;
    int samples = 20;
    std::string pick = "first";
    std::string json_path;
    // bench
    std::string bench_run, bench_asc;
    int array = 2;
    std::string device = "hx1k";
};

db::Store open_store(const GlobalOptions& global) {
    if (!std::filesystem::exists(global.db_path))
        throw InputError(global.db_path + ": no such database");
    return db::Store(global.db_path);
}

void print_timing(const equiv::CheckResult& r) {
    std::printf("  %s: netlist %.1f s, compile %.1f s, simulate %.1f s (%llu cycles), total "
                "%.1f s\n",
                equiv::simulator_name(r.simulator).c_str(), r.timing.netlist_s, r.timing.compile_s,
                r.timing.simulate_s, static_cast<unsigned long long>(r.timing.cycles), r.wall_s);
}

void run_check(const GlobalOptions& global, const EquivOptions& options) {
    if (options.runs.empty())
        throw InputError(input_error_message("argument", 0, "RUN", "give at least one run id"));
    auto store = open_store(global);
    equiv::CheckOptions check{
        options.vectors, options.seed, equiv::parse_simulator(options.simulator), {}};
    int failed = 0, damaged = 0;
    for (const auto& id : options.runs) {
        if (auto stored = equiv::stored_check(store, id)) {
            std::printf("%s: already checked: %d vectors, %d mismatches (a stored check is kept, "
                        "never replaced)\n",
                        id.c_str(), stored->vectors, stored->mismatches);
            failed += stored->mismatches > 0;
            continue;
        }
        equiv::CheckResult result;
        try {
            result = equiv::check_stored_run(store, id, check);
        } catch (const db::BlobCorrupt& error) { // this run's data only: check the others
            std::printf("%s: not checked: %s\n", id.c_str(), error.what());
            ++damaged;
            continue;
        }
        std::printf("%s: %d vectors, %d mismatches%s\n", id.c_str(), result.vectors,
                    result.mismatches, result.mismatches ? "  <-- EQUIVALENCE CHECK FAILED" : "");
        print_timing(result);
        failed += result.mismatches > 0;
    }
    if (damaged)
        std::cerr << "detlab: DAMAGED DATA: " << damaged << " run(s) not checked, their stored "
                  << "bitstream cannot be read back (detlab db check lists the damage)\n";
    if (failed)
        std::cerr << "detlab: EQUIVALENCE CHECK FAILED for " << failed << " run(s)\n";
    if (failed || damaged) // a run asked for and not checked is no success
        throw CLI::RuntimeError(1);
}

std::string joined(const std::vector<int>& values) {
    std::string text;
    for (int v : values)
        text += std::to_string(v);
    return text;
}

void run_model(const GlobalOptions& global, const EquivOptions& options) {
    auto store = open_store(global);
    equiv::ModelOptions model;
    model.samples = options.samples;
    model.pick = equiv::parse_sample_pick(options.pick);
    model.simulator = equiv::parse_simulator(options.simulator);
    if (model.simulator == equiv::Simulator::automatic)
        model.simulator = equiv::Simulator::verilator;
    auto report =
        equiv::run_models_on_bitstreams(store, options.train_runs, options.toolchain_runs, model);
    if (report.pick == equiv::SamplePick::disagreement)
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
        write_file(options.json_path, equiv::to_json(report).dump(2) + "\n");
    // Recorded even when pairs differ from golden: the report must show the failure too.
    auto run = equiv::record_model_report(store, report);
    std::printf("recorded as run %s (kind %s)\n", run.id.c_str(), run.kind.c_str());
    if (bad) {
        std::cerr << "detlab: EQUIVALENCE CHECK FAILED: " << bad
                  << " model/bitstream pair(s) differ from the golden model\n";
        throw CLI::RuntimeError(1);
    }
}

// Times the check of one bitstream with both simulators (iverilog is the baseline).
void run_bench(const GlobalOptions& global, const EquivOptions& options) {
    std::string asc;
    nlohmann::json config;
    std::filesystem::path scratch;
    if (!options.bench_asc.empty()) {
        asc = read_file_text(options.bench_asc);
        config = {{"array", options.array}, {"device", options.device}};
    } else if (!options.bench_run.empty()) {
        auto store = open_store(global);
        auto row = store.run(options.bench_run);
        auto bytes = store.artifact_bytes(options.bench_run, "bitstream.asc");
        if (!row || !bytes)
            throw InputError(input_error_message("argument", 0, "--run",
                                                 "no toolchain run \"" + options.bench_run +
                                                     "\" with a bitstream.asc"));
        asc.assign(bytes->begin(), bytes->end());
        config = nlohmann::json::parse(row->config_json);
    } else {
        scratch = make_temp_dir("detlab-bench-equiv-");
        db::RunContext context{nullptr, scratch, "bench", nullptr};
        auto run = toolchain::run_build({{"array", options.array}, {"device", options.device}}, 0,
                                        context);
        std::filesystem::remove_all(scratch);
        for (const auto& a : run.artifacts)
            if (a.name == "bitstream.asc")
                asc.assign(a.bytes.begin(), a.bytes.end());
        if (run.status != db::kStatusDone || asc.empty())
            throw std::runtime_error("build failed: " + run.message);
        config = nlohmann::json::parse(run.config_json);
    }
    auto board = equiv::board_from_config(config);
    std::printf("bench equiv: %dx%d array on %s, %d vectors\n", board.array.size, board.array.size,
                board.device.c_str(), options.vectors);
    equiv::CheckResult results[2];
    const equiv::Simulator simulators[2] = {equiv::Simulator::iverilog,
                                            equiv::Simulator::verilator};
    for (int i = 0; i < 2; ++i) {
        results[i] =
            equiv::check_bitstream(asc, board, {options.vectors, options.seed, simulators[i], {}});
        print_timing(results[i]);
    }
    auto per_cycle = [](const equiv::CheckResult& r) {
        return r.timing.simulate_s /
               static_cast<double>(std::max<std::uint64_t>(r.timing.cycles, 1));
    };
    std::printf("verilator / iverilog: whole check %.2fx, simulation per cycle %.3fx, compile "
                "%.1fx\n",
                results[1].wall_s / results[0].wall_s,
                per_cycle(results[1]) / per_cycle(results[0]),
                results[1].timing.compile_s / std::max(results[0].timing.compile_s, 1e-9));
    std::printf("break-even: verilator pays off above ~%.0f cycles\n",
                (results[1].timing.compile_s - results[0].timing.compile_s) /
                    std::max(per_cycle(results[0]) - per_cycle(results[1]), 1e-12));
}

const Registration registration(45, [](CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<EquivOptions>();
    auto* cmd = app.add_subcommand(
        "equiv", "functional equivalence: simulate stored bitstreams' netlists on a fixed vector "
                 "set against the golden model, and record the result on each run");
    add_db_option(*cmd, global);
    cmd->add_option("RUN", options->runs, "toolchain run ids to check");
    cmd->add_option("--vectors", options->vectors, "tile products in the vector set")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->add_option("--seed", options->seed, "seed of the vector set")->capture_default_str();
    cmd->add_option("--simulator", options->simulator, "auto, iverilog or verilator")
        ->capture_default_str();
    cmd->require_subcommand(0, 1);
    cmd->callback([&global, options, cmd] {
        if (cmd->get_subcommands().empty())
            run_check(global, *options);
    });

    auto* model = cmd->add_subcommand(
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

    auto* bench = bench_group(app).add_subcommand(
        "equiv", "time one equivalence check with iverilog (baseline) and Verilator");
    add_db_option(*bench, global);
    bench->add_option("--run", options->bench_run, "a stored toolchain run (default: build one)");
    bench->add_option("--asc", options->bench_asc,
                      "a bitstream.asc file built for --array/--device");
    bench->add_option("--array", options->array, "array size of the build")->capture_default_str();
    bench->add_option("--device", options->device, "hx1k or hx8k")->capture_default_str();
    bench->add_option("--vectors", options->vectors, "tile products")->capture_default_str();
    bench->callback([&global, options] { run_bench(global, *options); });
});

} // namespace
} // namespace detlab::cli
