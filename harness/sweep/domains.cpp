// The two domains detlab ships, wired to the sweep.
#include "harness/equiv/equiv.h"
#include "harness/sweep/progress.h"
#include "harness/sweep/sweep.h"
#include "harness/toolchain/toolchain.h"
#include "harness/train/train.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <algorithm>
#include <cstdlib>

namespace detlab::sweep {
namespace {

bool has_key(const std::vector<KeySpec>& keys, const std::string& name) {
    return std::any_of(keys.begin(), keys.end(), [&](const KeySpec& k) { return k.name == name; });
}

// Keys that change only place-and-route and later stages, never the synthesis netlist. Builds
// that differ only in these share one cached netlist, so the sweep runs the first of them
// alone and lets the rest reuse its synthesis. A key missing here only costs a synthesis.
const std::vector<std::string>& place_and_route_keys() {
    static const std::vector<std::string> keys{"seed",   "threads",   "parallel_refine", "placer",
                                               "router", "randomize", "timeout_s"};
    return keys;
}

std::string synthesis_group(const nlohmann::json& config) {
    if (config.contains("reuse_synthesis") && config["reuse_synthesis"] == false)
        return {}; // synthesises every time anyway: nothing to wait for
    nlohmann::json inputs = config;
    for (const auto& key : place_and_route_keys())
        inputs.erase(key);
    return inputs.dump();
}

// The toolchain caches its netlist right after yosys; a cache entry newer than the leader's
// start means the followers can reuse it while the leader is still placing and routing.
bool synthesis_stored(db::Store& store, double since) {
    SQLite::Statement query(store.database(), "SELECT count(*) FROM cache WHERE created_at >= ?");
    query.bind(1, since);
    return query.executeStep() && query.getColumn(0).getInt64() > 0;
}

Domain toolchain_domain() {
    Domain domain;
    domain.kind = "toolchain";
    domain.keys = toolchain::config_keys();
    domain.run = [](const nlohmann::json& config, int repeat, const db::RunContext& context) {
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
    domain.setup_group = synthesis_group;
    domain.setup_stored = synthesis_stored;
    // The equivalence check of a finished build: simulate the fixed vector set on the
    // bitstream (equiv_result.json, equiv_vectors, equiv_mismatches, equiv_outputs.bin). On
    // with the experiment's `equiv_vectors` (or $DETLAB_EQUIV_VECTORS / detlab run --equiv N,
    // which win when set), never part of the configuration.
    domain.after_run = [](db::RunResult& result, const nlohmann::json& config,
                          const db::RunContext& context, const Experiment& experiment) {
        int vectors = equiv::vectors_from_environment();
        if (std::getenv("DETLAB_EQUIV_VECTORS") == nullptr ||
            *std::getenv("DETLAB_EQUIV_VECTORS") == '\0')
            vectors = experiment.equiv_vectors;
        if (vectors <= 0)
            return;
        equiv::CheckOptions options;
        options.vectors = vectors;
        options.work_dir = context.work_root / "equiv";
        equiv::check_toolchain_run(result, config, options);
    };
    return domain;
}

Domain train_domain() {
    Domain domain;
    domain.kind = "train";
    domain.keys = train::config_keys();
    domain.run = [](const nlohmann::json& config, int repeat, const db::RunContext& context) {
        return train::run_training(config, repeat, context, [](const train::EpochReport& epoch) {
            report_step(epoch.epoch, epoch.epochs);
        });
    };
    domain.identity = [](const nlohmann::json& config) {
        return train::configuration_id(config);
    };
    domain.check = [](const nlohmann::json& config) {
        train::validate_config(config);
    };
    return domain;
}

} // namespace

const std::vector<Domain>& builtin_domains() {
    static const std::vector<Domain> domains{toolchain_domain(), train_domain()};
    return domains;
}

} // namespace detlab::sweep
