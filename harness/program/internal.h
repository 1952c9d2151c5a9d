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
// The root of the `tools` key (root.cpp): empty for "system"; UnavailableError naming the key when
// no such root is installed.
std::filesystem::path framework_root(const nlohmann::json& config);
// Where `folder` (the value of `key`, program_dir or data_dir) is seen inside `root`: its own
// absolute path, or /detlab/<key> when that path lies under one of the root's own folders.
std::filesystem::path folder_inside(const std::filesystem::path& root, const std::string& key,
                                    const std::filesystem::path& folder);
// argv run inside `root` through bwrap (argv unchanged when `root` is empty), with the program's
// and data's folders read-only and `run_dir` (when given) writable, each at its own path.
std::vector<std::string> rooted_command(const std::filesystem::path& root,
                                        const nlohmann::json& config,
                                        const std::filesystem::path& run_dir,
                                        std::vector<std::string> argv);
// Reads the output folder (weights/, logits.npy, labels.npy, metrics.json, environment.json)
// into `run`'s metrics, artifacts, params and provenance; std::runtime_error "<file>: problem"
// when an output is missing, malformed, mis-shaped or beyond the contract's limits.
void read_outputs(const std::filesystem::path& out, const nlohmann::json& config,
                  db::RunResult& run);
} // namespace detail

} // namespace detlab::program
