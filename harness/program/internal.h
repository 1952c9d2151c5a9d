// Shared by the program module's files; not part of its interface.
#pragma once

#include "harness/program/program.h"

namespace detlab::program {

// The kind hashed into a program run's configuration identity (runs are stored as "train").
inline constexpr const char* kIdentityKind = "train-program";

namespace detail {
// Defaults filled in, ranges checked (InputError "program config: ...").
nlohmann::json completed(const nlohmann::json& config);
std::filesystem::path entry_path(const nlohmann::json& config);
// The interpreter as given (absolute or relative path), found on PATH, or empty.
std::filesystem::path interpreter_path(const nlohmann::json& config);
// Reads the output folder (weights/, logits.npy, labels.npy, metrics.json, environment.json)
// into `run`'s metrics, artifacts, params and provenance; std::runtime_error "<file>: problem"
// when an output is missing, malformed, mis-shaped or beyond the contract's limits.
void read_outputs(const std::filesystem::path& out, const nlohmann::json& config,
                  db::RunResult& run);
} // namespace detail

} // namespace detlab::program
