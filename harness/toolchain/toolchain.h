// FPGA builds of the accelerator's board top: prepare sources -> yosys synth_ice40 ->
// nextpnr-ice40 -> icepack -> icetime, under one controlled source of variation.
#pragma once

#include "db/store.h"
#include "harness/common/common.h"

#include <nlohmann/json.hpp>

namespace detlab::toolchain {

// Every configuration key of a build (array size, device, seed, threads, ...), with defaults
// that form the deterministic baseline (HeAP placer, router1, one thread, fixed seed).
const std::vector<KeySpec>& config_keys();

// Runs every stage for one build. Tool failures and timeouts are reported in the result's
// status and message (the tool's own text); it throws only for bad configuration (InputError).
// The result is not yet stored: the caller records it with Store::record_run.
db::RunResult run_build(const nlohmann::json& config, int repeat, const db::RunContext& context);

} // namespace detlab::toolchain
