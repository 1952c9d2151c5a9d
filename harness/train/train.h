// Training a small MLP on the 8x8 digits with every matrix product computed by a chosen GEMM
// backend (the Verilated accelerator, its golden model, or fp32), under one controlled source
// of variation.
#pragma once

#include "db/store.h"
#include "harness/common/common.h"

#include <nlohmann/json.hpp>

namespace detlab::train {

// Every configuration key of a training run (backend, hidden size, epochs, seeds, ...).
const std::vector<KeySpec>& config_keys();

// Trains one model. The result is not yet stored: the caller records it with Store::record_run.
db::RunResult run_training(const nlohmann::json& config, int repeat, const db::RunContext& context);

} // namespace detlab::train
