// Planted stores for the distances against the baseline: toolchain runs whose outputs are a
// reference's bits with a planted share flipped, and training runs with chosen predictions
// (test_analysis_distance_effects, test_analysis_forest).
#pragma once

#include "analysis/analysis.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace detlab::testing {

inline constexpr std::size_t kPlantedBytes = 4096; // 32768 bits: not an iCE40, ECP5 or Gowin file

// The reference output every run perturbs: random bits, about half of them set.
inline Bytes reference_bits() {
    DeterministicRng rng(11);
    Bytes out(kPlantedBytes);
    for (auto& b : out)
        b = static_cast<std::uint8_t>(rng.below(256));
    return out;
}

// `reference` with each bit flipped with probability `flip`: two such outputs with flip rates
// q1 and q2 differ in a share q1 (1 - q2) + q2 (1 - q1) of their bits, and unrelated outputs of
// density 1/2 in half of them, so their normalised distance is 2 (q1 (1 - q2) + q2 (1 - q1)).
inline Bytes perturbed(const Bytes& reference, double flip, DeterministicRng& rng) {
    Bytes out = reference;
    for (auto& byte : out)
        for (unsigned bit = 0; bit < 8; ++bit)
            if (rng.uniform() < flip)
                byte ^= static_cast<std::uint8_t>(1u << bit);
    return out;
}

// A toolchain run of `study` (experiment `experiment`, host lab-pc) whose bitstream.bin is `bits`.
inline db::RunResult planted_build(const std::string& study, const std::string& factor, int repeat,
                                   Bytes bits, const std::string& experiment = "planted") {
    db::RunResult r;
    r.config_json = nlohmann::json{{"study", study}, {"repeat", repeat}}.dump();
    r.repeat = repeat;
    r.id = db::run_id("toolchain", r.config_json + experiment, repeat);
    r.experiment = experiment;
    r.kind = "toolchain";
    r.host = "lab-pc";
    r.add_param("study", study);
    r.add_param("factor", factor);
    r.add_param("factor_value", std::to_string(repeat));
    r.add_param("seed", factor == "seed" ? std::to_string(repeat) : "1");
    if (study == "parallel_refine")
        r.add_param("parallel_refine", "true");
    r.add_artifact("bitstream.bin", std::move(bits));
    r.add_metric("fmax_mhz", 100);
    r.provenance = {{"cpu.model", "Test CPU"}, {"tool.yosys", "Yosys 0.52"}};
    return r;
}

inline double unrelated_share(double q1, double q2) {
    return 2 * (q1 * (1 - q2) + q2 * (1 - q1));
}

// A training run whose models predict `classes` on four test inputs (labels 0 1 1 0); its
// weights are {1, `weight`}, by default value + 0.5 (every run's its own).
inline db::RunResult planted_training(const std::string& study, const std::string& factor,
                                      int value, const std::vector<int>& classes,
                                      std::optional<float> weight = std::nullopt) {
    db::RunResult r;
    r.config_json = nlohmann::json{{"study", study}, {"value", value}}.dump();
    r.repeat = value;
    r.id = db::run_id("train", r.config_json, value);
    r.experiment = "planted";
    r.kind = "train";
    r.host = "lab-pc";
    r.add_param("study", study);
    r.add_param("factor", factor);
    r.add_param("factor_value", std::to_string(value));
    std::vector<float> logits;
    for (int c : classes) {
        logits.push_back(c == 0 ? 2.0f : 0.0f);
        logits.push_back(c == 1 ? 2.0f : 0.0f);
    }
    r.add_artifact("weights.bin",
                   encode_tensors({{"w1", {2}, {1.0f, weight.value_or(float(value) + 0.5f)}}}));
    r.add_artifact("test_logits.bin",
                   encode_tensors({{"logits", {4, 2}, logits}, {"labels", {4}, {0, 1, 1, 0}}}));
    r.add_metric("final_test_accuracy", 0.75);
    r.add_metric("final_test_loss", 0.5);
    return r;
}

} // namespace detlab::testing
