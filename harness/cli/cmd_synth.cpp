// `detlab synth`: one FPGA build (yosys -> nextpnr-ice40 -> icepack -> icetime) from
// command-line options, recorded in the results store, with a short summary.
#include "db/store.h"
#include "harness/cli/cli.h"
#include "harness/equiv/equiv.h"
#include "harness/toolchain/toolchain.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

namespace detlab::cli {
namespace {

struct SynthOptions {
    KeyValues values;                     // config key -> text, only when given
    std::vector<std::string> assignments; // --set key=value
    int repeat = -1;                      // -1: the next free index
    std::string experiment;
    std::string work_dir;
    int equiv_vectors = -1; // -1: $DETLAB_EQUIV_VECTORS
};

const KeySpec* find_key(const std::string& name) {
    for (const auto& spec : toolchain::config_keys())
        if (spec.name == name)
            return &spec;
    return nullptr;
}

std::string valid_keys() {
    std::string list;
    for (const auto& spec : toolchain::config_keys())
        list += (list.empty() ? "" : ", ") + spec.name;
    return list;
}

nlohmann::json partial_config(const SynthOptions& options) {
    nlohmann::json partial = cli::partial_config(toolchain::config_keys(), options.values);
    for (const auto& assignment : options.assignments) {
        auto equals = assignment.find('=');
        std::string key = assignment.substr(0, equals);
        const KeySpec* spec = find_key(key);
        if (equals == std::string::npos || !spec)
            throw InputError(input_error_message(
                "command line", 0, "--set " + assignment,
                equals == std::string::npos ? "expected key=value"
                                            : "unknown key (valid keys: " + valid_keys() + ")"));
        partial[key] = parse_key_value(*spec, assignment.substr(equals + 1), "--set " + key);
    }
    return partial;
}

std::string artifact_sha(const db::RunResult& run, const std::string& name) {
    for (const auto& artifact : run.artifacts)
        if (artifact.name == name)
            return sha256_hex(artifact.bytes);
    return "-";
}

std::string metric_text(const db::RunResult& run, const std::string& key, const char* format) {
    for (const auto& metric : run.metrics)
        if (metric.key == key && metric.step == 0) {
            char text[64];
            std::snprintf(text, sizeof text, format, metric.value);
            return text;
        }
    return "-";
}

std::string param_text(const db::RunResult& run, const std::string& key) {
    for (const auto& [name, value] : run.params)
        if (name == key)
            return value;
    return "-";
}

void print_summary(const db::RunResult& run, const std::string& db_path) {
    std::printf("run %s  status %s  wall %.2f s  stored in %s\n", run.id.c_str(),
                run.status.c_str(), run.wall_seconds, db_path.c_str());
    for (const char* name : {db::artifact::kNetlist, db::artifact::kAsc, db::artifact::kBitstream})
        std::printf("%-14s sha256 %s\n", name, artifact_sha(run, name).c_str());
    std::printf("fmax           %s MHz (nextpnr)  %s MHz (icetime)\n",
                metric_text(run, db::metric::kFmaxMhz, "%.2f").c_str(),
                metric_text(run, db::metric::kFmaxIcetimeMhz, "%.2f").c_str());
    std::printf("cells          %s LC  %s RAM  %s IO  %s GB\n",
                metric_text(run, db::metric::kLogicCells, "%.0f").c_str(),
                metric_text(run, db::metric::kRamBlocks, "%.0f").c_str(),
                metric_text(run, db::metric::kIoCells, "%.0f").c_str(),
                metric_text(run, db::metric::kGlobalBuffers, "%.0f").c_str());
    if (auto verdict = equiv::run_verdict(run))
        std::printf("equivalence    %s\n", equiv::describe(*verdict).c_str());
    std::string times;
    for (const char* stage : {"yosys", "nextpnr", "icepack", "icetime"})
        times += std::string(stage) + " " +
                 metric_text(run, db::metric::stage_wall_s(stage), "%.2f") + "  ";
    std::printf("stage wall s   %sharness %s  (synthesis reused: %s)\n", times.c_str(),
                metric_text(run, db::metric::kHarnessOverheadS, "%.3f").c_str(),
                param_text(run, "synthesis_reused").c_str());
}

void run_synth_command(const SynthOptions& options, const GlobalOptions& global) {
    nlohmann::json config;
    int vectors = 0;
    auto begun = begin_ad_hoc_observation(global, options.experiment, options.repeat, [&] {
        config = complete_config(toolchain::config_keys(), partial_config(options), "command line");
        toolchain::validate_config(config);
        auto config_id = toolchain::configuration_id(config); // a missing RTL file
        toolchain::check_design(config); // the top, its parameters, what nextpnr offers
        vectors =
            options.equiv_vectors >= 0 ? options.equiv_vectors : equiv::vectors_from_environment();
        return config_id;
    });
    begun.context.work_root = options.work_dir;
    auto result = toolchain::run_build(config, begun.repeat, begun.context);
    if (vectors > 0 && result.status == db::kStatusDone) {
        equiv::CheckOptions check;
        check.vectors = vectors;
        equiv::check_toolchain_run(result, config, check);
    }
    record_ad_hoc_observation(begun, result);
    print_summary(result, global.db_path);
    if (result.status != db::kStatusDone) {
        std::cerr << "detlab: build " << result.status << ": " << result.message << "\n";
        throw CLI::RuntimeError(1);
    }
}

const Registration registration(30, [](CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<SynthOptions>();
    auto* command = app.add_subcommand(
        "synth", "build the accelerator for an iCE40 (yosys, nextpnr-ice40, icepack, icetime) "
                 "and record the run");
    add_key_options(*command, toolchain::config_keys(), options->values);
    command->add_option("--set", options->assignments, "any configuration key as key=value");
    add_observation_options(*command, options->repeat, options->experiment);
    command->add_option("--work-dir", options->work_dir,
                        "scratch directory for the build (default: a fresh temporary directory; "
                        "DETLAB_KEEP_BUILD=1 keeps it)");
    command
        ->add_option("--equiv-vectors", options->equiv_vectors,
                     "simulate the bitstream on this many fixed test vectors and compare with "
                     "the golden model (default: $DETLAB_EQUIV_VECTORS, else no check)")
        ->check(CLI::NonNegativeNumber);
    add_db_option(*command, global);
    command->callback([options, &global] { run_synth_command(*options, global); });
});

} // namespace
} // namespace detlab::cli
