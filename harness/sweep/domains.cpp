// The domains detlab ships, wired to the sweep.
#include "harness/equiv/equiv.h"
#include "harness/program/program.h"
#include "harness/sweep/sweep.h"
#include "harness/toolchain/toolchain.h"
#include "harness/train/train.h"

#include <algorithm>
#include <cstdlib>

namespace detlab::sweep {
namespace {

bool has_key(const std::vector<KeySpec>& keys, const std::string& name) {
    return std::any_of(keys.begin(), keys.end(), [&](const KeySpec& k) { return k.name == name; });
}

Domain toolchain_domain() {
    Domain domain;
    domain.kind = db::kKindToolchain;
    domain.keys = toolchain::config_keys();
    domain.run = [](const nlohmann::json& config, int repeat, const observation::Context& context) {
        return toolchain::run_build(config, repeat, context);
    };
    if (has_key(domain.keys, "reuse_synthesis"))
        domain.repeat_overrides["reuse_synthesis"] = false;
    domain.identity = [](const nlohmann::json& config) {
        return toolchain::configuration_id(config);
    };
    domain.check = [](const nlohmann::json& config) {
        toolchain::validate_config(config);
    };
    domain.preflight = [](const nlohmann::json& config) {
        toolchain::check_design(config);
    };
    // Builds that share a synthesis key share one synthesis: the first runs alone; the rest start
    // once its netlist is in the store (it is cached right after yosys, before place and route).
    domain.setup_group = [](const nlohmann::json& config) {
        try {
            return toolchain::synthesis_key(config);
        } catch (const InputError&) {
            return std::string(); // the run itself reports the problem
        }
    };
    domain.setup_stored = toolchain::synthesis_stored;
    // The equivalence check of a finished build: simulate the fixed vector set on the
    // bitstream (equiv_result.json, equiv_vectors, equiv_mismatches, equiv_outputs.bin), or for
    // another design than the accelerator, random stimuli of equiv_cycles cycles against its
    // synthesised netlist (equiv_clock, equiv_hold). On
    // with the experiment's `equiv_vectors` (or $DETLAB_EQUIV_VECTORS / detlab run --equiv N,
    // which win when set), never part of the configuration; then the proof when `equiv_prove`
    // gives it seconds.
    domain.after_run = [](db::RunResult& result, const nlohmann::json& config,
                          const observation::Context& context, const Experiment& experiment) {
        int vectors = experiment.equiv_vectors; // `detlab run` applies --equiv / the variable
        if (vectors > 0) {
            context.enter_stage("equiv check");
            equiv::CheckOptions options;
            options.vectors = vectors;
            options.cycles = experiment.equiv_cycles;
            options.clock = experiment.equiv_clock;
            options.hold = experiment.equiv_hold;
            options.work_dir = context.work_root / "equiv";
            equiv::check_toolchain_run(result, config, options);
        }
        // The proof (equiv_prove seconds) after the simulation, so that an unfinished proof
        // records the simulation's verdict beside it (equiv_proof.json).
        if (experiment.equiv_prove_s > 0) {
            context.enter_stage("equiv proof");
            equiv::ProofOptions options;
            options.time_limit_s = experiment.equiv_prove_s;
            options.work_dir = context.work_root / "equiv-proof";
            equiv::prove_toolchain_run(result, config, options);
        }
    };
    return domain;
}

Domain train_domain() {
    Domain domain;
    domain.kind = db::kKindTrain;
    domain.keys = train::config_keys();
    domain.run = [](const nlohmann::json& config, int repeat, const observation::Context& context) {
        return train::run_training(config, repeat, context); // epochs reach context.on_stage
    };
    domain.identity = [](const nlohmann::json& config) {
        return train::configuration_id(config);
    };
    domain.check = [](const nlohmann::json& config) {
        train::validate_config(config);
    };
    return domain;
}

// A training program of the user's own: its runs are stored as "train" runs.
Domain program_domain() {
    Domain domain;
    domain.kind = "program";
    domain.stored_kind = db::kKindTrain;
    domain.keys = program::config_keys();
    domain.run = [](const nlohmann::json& config, int repeat, const observation::Context& context) {
        return program::run_program(config, repeat, context);
    };
    domain.identity = [](const nlohmann::json& config) {
        return program::configuration_id(config);
    };
    domain.check = [](const nlohmann::json& config) {
        program::validate_config(config);
    };
    return domain;
}

} // namespace

const std::vector<Domain>& builtin_domains() {
    static const std::vector<Domain> domains{toolchain_domain(), train_domain(), program_domain()};
    return domains;
}

} // namespace detlab::sweep
