// `detlab equiv`: the functional equivalence check of stored bitstreams, trained models run on
// bitstreams (`detlab equiv model`), and `detlab bench equiv` (the check against the builds).
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
    std::string experiment;
    int vectors = equiv::kDefaultVectors;
    std::uint64_t seed = equiv::kDefaultVectorSeed;
    std::string simulator = "auto";
    // another design than the accelerator (random stimulus)
    int cycles = 1000;
    std::string clock;
    std::vector<std::string> hold; // NAME=0|1
    // model
    std::vector<std::string> train_runs, toolchain_runs;
    int samples = 20;
    std::string pick = "first";
    std::string json_path;
    // bench
    std::string bench_run, bench_asc, cross_check = "none";
    int builds = 2, cross_vectors = 8;
    int array = 2;
    std::string device = "hx1k";
};

db::Store open_store(const GlobalOptions& global) {
    if (!std::filesystem::exists(global.db_path))
        throw InputError(global.db_path + ": no such database");
    return db::Store(global.db_path);
}

void print_timing(const equiv::CheckResult& r) {
    std::printf("  %s: netlist %.2f s, %s %.2f s, simulate %.2f s (%llu cycles, %llu runs), "
                "total %.2f s\n",
                equiv::simulator_name(r.simulator).c_str(), r.timing.netlist_s,
                r.simulator == equiv::Simulator::native ? "parse+levelise" : "compile",
                r.timing.compile_s, r.timing.simulate_s,
                static_cast<unsigned long long>(r.timing.cycles),
                static_cast<unsigned long long>(r.timing.runs), r.wall_s);
}

std::string result_line(const equiv::CheckResult& r) {
    equiv::StoredVerdict v{r.verdict,    r.reason,    r.vectors,   r.mismatches,
                           r.rate_bound, r.toggle_ff, r.toggle_lut};
    std::string text = equiv::describe(v);
    if (r.toggle_ff >= 0) {
        char coverage[96];
        std::snprintf(coverage, sizeof coverage, "; toggled: %.0f%% of FFs, %.0f%% of LUTs",
                      100 * r.toggle_ff, 100 * r.toggle_lut);
        text += coverage;
    }
    return text;
}

void run_check(const GlobalOptions& global, const EquivOptions& options) {
    if (options.runs.empty() == options.experiment.empty())
        throw InputError(input_error_message("argument", 0, "RUN",
                                             "give run ids or --experiment NAME (one of them)"));
    equiv::CheckOptions check{options.vectors,
                              options.seed,
                              equiv::parse_simulator(options.simulator),
                              {},
                              {},
                              equiv::kDefaultDesignCycles,
                              {},
                              {}};
    check.cycles = options.cycles;
    check.clock = options.clock;
    for (const auto& item : options.hold) {
        auto eq = item.find('=');
        std::string name = item.substr(0, eq == std::string::npos ? item.size() : eq);
        std::string level = eq == std::string::npos ? "" : item.substr(eq + 1);
        if (!is_identifier(name) || (level != "0" && level != "1"))
            throw InputError(input_error_message("argument", 0, "--hold",
                                                 "\"" + item + "\" is not NAME=0 or NAME=1"));
        check.hold[name] = level == "1";
    }
    auto store = open_store(global); // after validation: a bad argument writes nothing
    int failed = 0, damaged = 0;
    auto report = [&](const std::string& id, const equiv::CheckResult* result) {
        if (!result) {
            auto stored = equiv::stored_check(store, id);
            std::printf("%s: already checked: %s (a stored check is kept, never replaced)\n",
                        id.c_str(), equiv::describe(*stored).c_str());
            failed += stored->verdict == equiv::Verdict::differs;
            return;
        }
        std::printf("%s: %s%s\n", id.c_str(), result_line(*result).c_str(),
                    result->verdict == equiv::Verdict::differs ? "  <-- EQUIVALENCE CHECK FAILED"
                                                               : "");
        if (result->verdict != equiv::Verdict::not_checked)
            print_timing(*result);
        failed += result->verdict == equiv::Verdict::differs;
        std::fflush(stdout);
    };
    if (!options.experiment.empty()) {
        auto summary = equiv::check_experiment(store, options.experiment, check, report);
        if (summary.runs == 0)
            throw InputError(input_error_message(
                "argument", 0, "--experiment",
                "no toolchain run with a bitstream in experiment \"" + options.experiment + "\""));
        std::printf("experiment %s: %d runs with a bitstream: %d checked now (%d differ, %d not "
                    "checked), %d already checked\n",
                    options.experiment.c_str(), summary.runs, summary.checked, summary.differs,
                    summary.not_checked, summary.already);
        for (const auto& [id, problem] : summary.damaged)
            std::printf("%s: not checked: %s\n", id.c_str(), problem.c_str());
        damaged += static_cast<int>(summary.damaged.size());
    }
    for (const auto& id : options.runs) {
        if (equiv::stored_check(store, id)) {
            report(id, nullptr);
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
        report(id, &result);
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

// Times the check against the builds it checks (the baseline, measured in the same run): each
// build's wall time, then the native check of its bitstream split into netlist making,
// parsing, simulation. Optionally one testbench simulator on a few vectors as a cross-check.
void run_bench(const GlobalOptions& global, const EquivOptions& options) {
    std::vector<std::string> ascs;
    std::vector<double> build_s;
    nlohmann::json config;
    if (!options.bench_asc.empty()) {
        ascs.push_back(read_file_text(options.bench_asc));
        config = {{"array", options.array}, {"device", options.device}};
    } else if (!options.bench_run.empty()) {
        auto store = open_store(global);
        auto row = store.run(options.bench_run);
        auto bytes = store.artifact_bytes(options.bench_run, "bitstream.asc");
        if (!row || !bytes)
            throw InputError(input_error_message("argument", 0, "--run",
                                                 "no toolchain run \"" + options.bench_run +
                                                     "\" with a bitstream.asc"));
        ascs.emplace_back(bytes->begin(), bytes->end());
        config = nlohmann::json::parse(row->config_json);
    } else {
        for (int seed = 1; seed <= options.builds; ++seed) {
            auto scratch = make_temp_dir("detlab-bench-equiv-");
            observation::Context context{nullptr, scratch, "bench", nullptr};
            double start = monotonic_seconds();
            auto run = toolchain::run_build(
                {{"array", options.array}, {"device", options.device}, {"seed", seed}}, 0, context);
            build_s.push_back(monotonic_seconds() - start);
            std::filesystem::remove_all(scratch);
            std::string asc;
            for (const auto& a : run.artifacts)
                if (a.name == "bitstream.asc")
                    asc.assign(a.bytes.begin(), a.bytes.end());
            if (run.status != db::kStatusDone || asc.empty())
                throw std::runtime_error("build failed: " + run.message);
            std::printf("build seed %d: %.2f s wall\n", seed, build_s.back());
            ascs.push_back(std::move(asc));
            config = nlohmann::json::parse(run.config_json);
        }
    }
    auto board = equiv::board_from_config(config);
    std::printf("bench equiv: %dx%d array on %s, %d vectors, %zu bitstream(s)\n", board.array.size,
                board.array.size, board.device.c_str(), options.vectors, ascs.size());
    std::vector<double> check_s;
    for (const auto& asc : ascs) {
        auto result = equiv::check_bitstream(asc, board,
                                             {options.vectors,
                                              options.seed,
                                              equiv::Simulator::native,
                                              {},
                                              {},
                                              equiv::kDefaultDesignCycles,
                                              {},
                                              {}});
        print_timing(result);
        std::printf("    %s\n", result_line(result).c_str());
        check_s.push_back(result.wall_s);
        if (options.cross_check != "none") {
            auto simulator = equiv::parse_simulator(options.cross_check);
            auto native = equiv::check_bitstream(asc, board,
                                                 {options.cross_vectors,
                                                  options.seed,
                                                  equiv::Simulator::native,
                                                  {},
                                                  {},
                                                  equiv::kDefaultDesignCycles,
                                                  {},
                                                  {}});
            auto other = equiv::check_bitstream(asc, board,
                                                {options.cross_vectors,
                                                 options.seed,
                                                 simulator,
                                                 {},
                                                 {},
                                                 equiv::kDefaultDesignCycles,
                                                 {},
                                                 {}});
            print_timing(native);
            print_timing(other);
            std::printf("    %d vectors: outputs %s; %s / native whole check %.1fx\n",
                        options.cross_vectors,
                        native.outputs == other.outputs ? "identical" : "DIFFER",
                        options.cross_check.c_str(), other.wall_s / std::max(native.wall_s, 1e-9));
        }
    }
    auto mean = [](const std::vector<double>& v) {
        double sum = 0;
        for (double x : v)
            sum += x;
        return sum / static_cast<double>(v.size());
    };
    if (build_s.empty()) {
        std::printf("check wall: mean %.2f s (n=%zu); overhead ratio not measured (no build in "
                    "this run: drop --run/--asc)\n",
                    mean(check_s), check_s.size());
        return;
    }
    std::vector<double> ratios;
    for (std::size_t i = 0; i < check_s.size(); ++i)
        ratios.push_back(check_s[i] / build_s[i]);
    std::printf("check / build wall time: mean %.2f (n=%zu, min %.2f, max %.2f); build mean "
                "%.2f s, check mean %.2f s\n",
                mean(ratios), ratios.size(), *std::min_element(ratios.begin(), ratios.end()),
                *std::max_element(ratios.begin(), ratios.end()), mean(build_s), mean(check_s));
}

const Registration registration(45, [](CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<EquivOptions>();
    auto* cmd = app.add_subcommand(
        "equiv", "functional equivalence: simulate stored bitstreams' netlists on a fixed vector "
                 "set against the golden model, and record the result on each run");
    add_db_option(*cmd, global);
    cmd->add_option("RUN", options->runs, "toolchain run ids to check");
    cmd->add_option("--experiment", options->experiment,
                    "check every toolchain run of this experiment that is not checked yet "
                    "(resumable)");
    cmd->add_option("--vectors", options->vectors, "tile products in the vector set")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->add_option("--seed", options->seed, "seed of the vector set")->capture_default_str();
    cmd->add_option("--simulator", options->simulator,
                    "auto (native), native, iverilog or verilator")
        ->capture_default_str();
    cmd->add_option("--cycles", options->cycles,
                    "another design than the accelerator: clock cycles per random stimulus "
                    "(--vectors stimuli)")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    cmd->add_option("--clock", options->clock,
                    "another design: the clock input (default: the flip-flops' clock port)");
    cmd->add_option("--hold", options->hold,
                    "another design: an input held at 0 or 1 throughout, NAME=0|1 (repeatable)");
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
        "equiv", "time the equivalence check of freshly built bitstreams against their builds");
    add_db_option(*bench, global);
    bench->add_option("--run", options->bench_run, "a stored toolchain run (no build, no ratio)");
    bench->add_option("--asc", options->bench_asc,
                      "a bitstream.asc file built for --array/--device (no build, no ratio)");
    bench->add_option("--array", options->array, "array size of the build")->capture_default_str();
    bench->add_option("--device", options->device, "hx1k or hx8k")->capture_default_str();
    bench->add_option("--builds", options->builds, "bitstreams to build (seeds 1..N)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    bench->add_option("--vectors", options->vectors, "tile products")->capture_default_str();
    bench
        ->add_option("--cross-check", options->cross_check,
                     "also simulate with iverilog or verilator and compare the outputs")
        ->check(CLI::IsMember({"none", "iverilog", "verilator"}))
        ->capture_default_str();
    bench->add_option("--cross-vectors", options->cross_vectors, "vectors for the cross-check")
        ->capture_default_str();
    bench->callback([&global, options] { run_bench(global, *options); });
});

} // namespace
} // namespace detlab::cli
