// A training program of the user's own (PyTorch first) as the training side: detlab writes the
// configuration to a JSON file, runs the program without a shell under a time limit, reads the
// weights, test logits and labels it wrote as NumPy .npy files with bounded memory, checks their
// shapes and stores them exactly as the built-in trainer does (run kind "train"), so the
// analysis compares them unchanged. The contract is docs/own-training.md.
#pragma once

#include "db/store.h"
#include "harness/config_keys/config_keys.h"
#include "harness/observation/observation.h"
#include "harness/util/util.h"

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace detlab::program {

// The contract's version, written into the configuration file the program reads.
inline constexpr int kContractVersion = 1;
// The environment variable that holds the configuration file's path.
inline constexpr const char* kConfigVariable = "DETLAB_CONFIG";

// Every configuration key of a program run (program_dir, entry, seeds, threads, ...).
const std::vector<KeySpec>& config_keys();

// The checks beyond key ranges (the entry is a file inside program_dir, the interpreter
// exists); InputError "program config: key: problem".
void validate_config(const nlohmann::json& config);

// What a run depends on besides its keys: every file under program_dir and data_dir (by
// SHA-256, named "program/<relative path>" and "data/<relative path>"). InputError when a folder
// is missing or holds more than the contract allows.
db::InputDigests input_digests(const nlohmann::json& config);
std::string configuration_id(const nlohmann::json& config);

// Runs the program once. The result (kind "train") is not yet stored. A bad configuration
// throws InputError; everything the program does wrong (exit status, time limit, missing or
// malformed outputs) is the result's status "failed"/"timeout" with the program's last error
// lines in its message.
db::RunResult run_program(const nlohmann::json& config, int repeat,
                          const observation::Context& context);

// ---- NumPy .npy files (npy.cpp) ----
// The header of a .npy file (format 1.0, 2.0 or 3.0), little-endian or byte-sized types only.
struct NpyHeader {
    char kind = 'f';   // 'f' float, 'i' signed, 'u' unsigned, 'b' bool
    int item_size = 4; // bytes per element
    bool fortran_order = false;
    std::vector<std::uint64_t> shape;
    std::uint64_t data_offset = 0;  // where the elements start
    std::uint64_t elements() const; // product of shape (1 for a scalar)
};

// Parses the header from the file's first bytes (at least the whole header). Throws
// std::runtime_error "<origin>: <problem>" for anything that is not a valid header of a
// supported type, a rank above 8 or a shape whose element count overflows.
NpyHeader parse_npy_header(std::span<const std::uint8_t> prefix, const std::string& origin);

// Reads a .npy file of float32 elements (C order) whose element count is at most
// `max_elements`; the header and the file's size are checked before anything is allocated.
std::vector<float> read_npy_float32(const std::filesystem::path& path, std::uint64_t max_elements,
                                    NpyHeader* header = nullptr);
// Reads a .npy file of integers (any size, signed or unsigned, or bool) as int64.
std::vector<std::int64_t> read_npy_integers(const std::filesystem::path& path,
                                            std::uint64_t max_elements,
                                            NpyHeader* header = nullptr);

} // namespace detlab::program
