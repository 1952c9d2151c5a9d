// `detlab equiv`: the functional equivalence check of stored bitstreams, and `detlab bench equiv`
// (the check against the builds). `detlab equiv model` is in cmd_model_on_bitstream.cpp.
#include "harness/cli/cli.h"
#include "harness/equiv/equiv.h"

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
    int cycles = equiv::kDefaultDesignCycles;
    std::string clock;
    std::vector<std::string> hold; // NAME=0|1
    double prove_s = 0;            // > 0: prove the runs instead of simulating them
    // bench: the module's options, bound straight to the flags, and the ones that need parsing
    equiv::BenchOptions bench;
    std::string bench_run, bench_asc, cross_check = "none";
};

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

void print_proof(const equiv::ProofResult& proof) {
    std::printf("  proof: %s%s%s; %d flip-flops, %d block RAMs matched, %d compare points; "
                "netlist %.2f s, solver %.2f s, total %.2f s\n",
                equiv::proof_outcome_name(proof.outcome).c_str(), proof.reason.empty() ? "" : ": ",
                proof.reason.c_str(), proof.flip_flops, proof.rams, proof.compare_points,
                proof.netlist_s, proof.solve_s, proof.wall_s);
}

// `detlab equiv --prove SECONDS RUN...`: a proof recorded beside each run's simulated check.
void run_proofs(const GlobalOptions& global, const EquivOptions& options) {
    if (options.runs.empty() || !options.experiment.empty())
        throw InputError(input_error_message("argument", 0, "--prove",
                                             "give the run ids to prove (not --experiment)"));
    auto store = open_existing_store(global);
    equiv::ProofOptions proof_options;
    proof_options.time_limit_s = options.prove_s;
    int failed = 0;
    for (const auto& id : options.runs) {
        auto proof = equiv::prove_stored_run(store, id, proof_options);
        auto stored = equiv::stored_check(store, id);
        std::string result;
        if (proof.outcome == equiv::ProofOutcome::unfinished)
            result = "proof unfinished (" + proof.reason + "); the simulation stands: " +
                     (stored ? equiv::describe(*stored) : std::string("not checked"));
        else
            result = proof.outcome == equiv::ProofOutcome::proved
                         ? std::string("proved")
                         : "DIFFERS (proof): " + proof.reason + "  <-- EQUIVALENCE CHECK FAILED";
        std::printf("%s: %s\n", id.c_str(), result.c_str());
        print_proof(proof);
        failed += proof.outcome == equiv::ProofOutcome::differs;
        std::fflush(stdout);
    }
    if (failed) {
        std::cerr << "detlab: EQUIVALENCE CHECK FAILED for " << failed << " run(s)\n";
        throw CLI::RuntimeError(1);
    }
}

void run_check(const GlobalOptions& global, const EquivOptions& options) {
    if (options.prove_s > 0) {
        run_proofs(global, options);
        return;
    }
    if (options.runs.empty() == options.experiment.empty())
        throw InputError(input_error_message("argument", 0, "RUN",
                                             "give run ids or --experiment NAME (one of them)"));
    equiv::CheckOptions check;
    check.vectors = options.vectors;
    check.seed = options.seed;
    check.simulator = equiv::parse_simulator(options.simulator);
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
    auto store = open_existing_store(global); // after validation: a bad argument writes nothing
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

void print_build(const equiv::BenchBuild& build) {
    std::printf("build seed %d: %.2f s wall\n", build.seed, build.wall_s);
    std::fflush(stdout);
}

void print_bench(const EquivOptions& options, const equiv::BenchResult& result) {
    const auto& board = result.board;
    std::printf("bench equiv: %dx%d array on %s, %d vectors, %zu bitstream(s)\n", board.array.size,
                board.array.size, board.device.c_str(), options.bench.vectors,
                result.bitstreams.size());
    for (const auto& bitstream : result.bitstreams) {
        print_timing(bitstream.check);
        std::printf("    %s\n", result_line(bitstream.check).c_str());
        if (bitstream.cross_native && bitstream.cross_other) {
            print_timing(*bitstream.cross_native);
            print_timing(*bitstream.cross_other);
            std::printf("    %d vectors: outputs %s; %s / native whole check %.1fx\n",
                        options.bench.cross_vectors,
                        bitstream.cross_identical() ? "identical" : "DIFFER",
                        options.cross_check.c_str(), bitstream.cross_ratio());
        }
        if (const auto& proof = bitstream.proof)
            print_proof(*proof);
    }
    if (result.builds.empty()) {
        std::printf("check wall: mean %.2f s (n=%zu); overhead ratio not measured (no build in "
                    "this run: drop --run/--asc)\n",
                    result.check_mean_s, result.bitstreams.size());
        return;
    }
    std::printf("check / build wall time: mean %.2f (n=%zu, min %.2f, max %.2f); build mean "
                "%.2f s, check mean %.2f s\n",
                result.ratio_mean, result.ratios.size(), result.ratio_min, result.ratio_max,
                result.build_mean_s, result.check_mean_s);
    if (!result.proof_ratios.empty()) {
        auto [low, high] =
            std::minmax_element(result.proof_ratios.begin(), result.proof_ratios.end());
        double sum = 0;
        for (double r : result.proof_ratios)
            sum += r;
        std::printf("proof / build wall time: mean %.2f (n=%zu, min %.2f, max %.2f)\n",
                    sum / static_cast<double>(result.proof_ratios.size()),
                    result.proof_ratios.size(), *low, *high);
    }
}

// `detlab bench equiv`: equiv::bench_check builds (or loads) and checks; this prints the result.
void run_bench(const GlobalOptions& global, const EquivOptions& options) {
    auto bench = options.bench;
    bench.asc_file = options.bench_asc;
    if (options.cross_check != "none")
        bench.cross_check = equiv::parse_simulator(options.cross_check);
    if (options.bench_asc.empty() && !options.bench_run.empty()) {
        auto store = open_existing_store(global);
        bench.run_id = options.bench_run;
        bench.store = &store;
        print_bench(options, equiv::bench_check(bench, print_build));
        return;
    }
    print_bench(options, equiv::bench_check(bench, print_build));
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
    cmd->add_option("--prove", options->prove_s,
                    "prove the runs' bitstreams against their synthesised netlists within this "
                    "many seconds each, recorded beside the simulated check (0: simulate)")
        ->check(CLI::Range(0.0, 86400.0));
    cmd->require_subcommand(0, 1);
    cmd->callback([&global, options, cmd] {
        if (cmd->get_subcommands().empty())
            run_check(global, *options);
    });

    auto* bench = bench_group(app).add_subcommand(
        "equiv", "time the equivalence check of freshly built bitstreams against their builds");
    add_db_option(*bench, global);
    bench->add_option("--run", options->bench_run, "a stored toolchain run (no build, no ratio)");
    bench->add_option("--asc", options->bench_asc,
                      "a bitstream.asc file built for --array/--device (no build, no ratio)");
    bench->add_option("--array", options->bench.array, "array size of the build")
        ->capture_default_str();
    bench->add_option("--device", options->bench.device, "hx1k or hx8k")->capture_default_str();
    bench->add_option("--builds", options->bench.builds, "bitstreams to build (seeds 1..N)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    bench->add_option("--vectors", options->bench.vectors, "tile products")->capture_default_str();
    bench
        ->add_option("--cross-check", options->cross_check,
                     "also simulate with iverilog or verilator and compare the outputs")
        ->check(CLI::IsMember({"none", "iverilog", "verilator"}))
        ->capture_default_str();
    bench
        ->add_option("--prove", options->bench.prove_s,
                     "also prove each bitstream against its synthesised netlist within this many "
                     "seconds (0: no proof)")
        ->check(CLI::Range(0.0, 86400.0))
        ->capture_default_str();
    bench
        ->add_option("--cross-vectors", options->bench.cross_vectors, "vectors for the cross-check")
        ->capture_default_str();
    bench->callback([&global, options] { run_bench(global, *options); });
});

} // namespace
} // namespace detlab::cli
