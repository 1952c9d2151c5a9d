// One observation as a domain makes it: the context its run function gets from whoever runs it
// (the sweep, `detlab synth`, `detlab train`, a benchmark), the record it starts with, and the
// provenance that lets a stranger re-run it. Below the domains (toolchain, train) and above the
// store, so neither domain depends on the sweep and the store probes no tool.
#pragma once

#include "db/store.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace detlab::observation {

// What a domain's run function gets besides its configuration.
struct Context {
    db::Store* store = nullptr;      // for reusable intermediate results; may be null
    std::filesystem::path work_root; // scratch space; each run makes its own directory in it
    std::string experiment;
    const std::atomic<bool>* cancel = nullptr; // set on Ctrl-C: stop soon, report "failed"
    // Called as the run enters a stage ("yosys (synthesis)", "epoch 2/5"), from the run's own
    // thread: the sweep shows it in its progress line. Empty: nobody listens.
    std::function<void(std::string_view stage)> on_stage = {};

    bool cancelled() const { return cancel && cancel->load(); }
    void enter_stage(std::string_view stage) const {
        if (on_stage)
            on_stage(stage);
    }
};

// A new observation of `kind`: a fresh id (db::new_observation_id), the experiment, this
// host and the start time now. Every domain starts its record here, so no run is stored
// without its host.
db::RunResult start_record(db::RunKind kind, const std::string& experiment);
// A configuration value as a stored param's text: a string as itself, anything else as JSON
// (8, true, [1,2]). Stored data: every module that records a key as a param uses this one rule.
std::string param_text(const nlohmann::json& value);
// start_record for a configuration: its JSON, id, repeat index and keys as params, and the
// provenance with the digest of every input it reads.
db::RunResult start_configured_record(db::RunKind kind, const std::string& experiment,
                                      const nlohmann::json& config, std::string config_id,
                                      int repeat, const db::InputDigests& inputs);

// Captures the simulators' versions (verilator, iverilog), the compiler, git commit and dirty
// flag, host, CPU, cores, OS and the environment variables that affect the tools (the FPGA
// tools' versions depend on the root a build runs in: toolchain::tool_provenance). Versions are
// probed once per process, each probe bounded by `probe_limit` (and 20 s); a build passes its
// stage limit, so a hanging tool costs no more in its version probe than in its stage.
std::map<std::string, std::string>
capture_provenance(std::chrono::milliseconds probe_limit = std::chrono::seconds(20));

} // namespace detlab::observation
