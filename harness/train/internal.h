// What trainer.cpp and keys.cpp share; private to harness/train.
#pragma once

#include <nlohmann/json.hpp>

namespace detlab::train::detail {

// Checks what the key ranges alone cannot: the array sizes with a model, the bit_flip index.
// Throws InputError.
void check_config(const nlohmann::json& config);

} // namespace detlab::train::detail
