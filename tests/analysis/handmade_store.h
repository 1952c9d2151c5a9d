// The analysis tests' hand-filled store: toolchain studies over seeds and repeats (with and
// without equivalence outputs), ad-hoc builds, and a training study with one failed run.
#pragma once

#include "analysis/analysis.h"

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace detlab::testing {

namespace fs = std::filesystem;

// A minimal iCE40 bitstream with one 16 x 8 CRAM bank holding `cram`.
inline Bytes tiny_bin(std::uint8_t first_byte) {
    // One initializer list, no appends: GCC 12 at -O3 reports a false array-bounds error for
    // growing the vector here once the file's other tests change what it inlines.
    return Bytes{0xFF, 0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E,       0x62, 0x00, 0x0F,
                 0x72, 0x00, 0x08, 0x11, 0x00, 0x01, 0x01, first_byte, 0x5A, 0x5A, 0x5A,
                 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A,       0x5A, 0x5A, 0x5A,
                 0x5A, 0x00, 0x00, 0x22, 0x00, 0x00, 0x01, 0x06,       0x00};
}

inline Bytes equiv_outputs(std::int32_t last) {
    std::vector<std::int32_t> words{1, 2, 3, 4, 5, last}; // 3 vectors x 2 words
    Bytes out(words.size() * 4);
    std::memcpy(out.data(), words.data(), out.size());
    return out;
}

inline db::RunResult toolchain_run(const std::string& study, const std::string& factor, int value,
                                   std::uint8_t cram, double fmax, bool with_equiv) {
    db::RunResult r;
    nlohmann::json config{{"seed", value}, {"study", study}};
    r.config_json = config.dump();
    r.repeat = factor == "repeat" ? value : 0;
    r.id = db::run_id("toolchain", r.config_json, r.repeat);
    r.experiment = "handmade";
    r.kind = "toolchain";
    r.host = "testhost";
    r.add_param("seed", factor == "seed" ? std::to_string(value) : "1");
    if (!study.empty()) {
        r.add_param("study", study);
        r.add_param("factor", factor);
        r.add_param("factor_value", std::to_string(value));
    }
    r.add_artifact("netlist.json", std::string_view("{\"same\":1}"));
    r.add_artifact("bitstream.asc", std::string_view(cram == 0x00 ? "asc A" : "asc B"));
    r.add_artifact("bitstream.bin", tiny_bin(cram));
    r.add_metric("fmax_mhz", fmax);
    r.add_metric("logic_cells", 100);
    r.add_metric("tools_wall_s", 2.5);
    if (with_equiv) {
        r.add_artifact("equiv_outputs.bin", equiv_outputs(cram == 0x00 ? 6 : 7));
        r.add_metric("equiv_vectors", 3);
        r.add_metric("equiv_mismatches", cram == 0x00 ? 0 : 1);
    }
    r.provenance = {{"yosys", "Yosys 0.23"}, {"argv.yosys", "[\"yosys\",\"-q\"]"}};
    return r;
}

inline db::RunResult training_run(int seed, float w, std::vector<float> logits, double acc) {
    db::RunResult r;
    r.config_json = nlohmann::json{{"init_seed", seed}}.dump();
    r.id = db::run_id("train", r.config_json, 0);
    r.experiment = "handmade";
    r.kind = "train";
    r.add_param("init_seed", std::to_string(seed));
    r.add_param("study", "init");
    r.add_param("factor", "init_seed");
    r.add_param("factor_value", std::to_string(seed));
    r.add_artifact("weights.bin", encode_tensors({{"w1", {2}, {1.0f, w}}}));
    r.add_artifact("test_logits.bin",
                   encode_tensors({{"logits", {4, 2}, logits}, {"labels", {4}, {0, 1, 1, 0}}}));
    for (int epoch = 1; epoch <= 3; ++epoch) {
        r.add_metric("test_accuracy", acc * epoch / 3, epoch);
        r.add_metric("train_loss", 1.0 / epoch, epoch);
    }
    r.add_metric("final_test_accuracy", acc);
    r.add_metric("final_test_loss", 0.5);
    return r;
}

inline std::filesystem::path filled_store(const std::string& name) {
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "analysis" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    db::Store store(dir / "detlab.db");
    store.put_experiment("handmade", "# hand-made experiment\nname = \"handmade\"\n");
    store.record_run(toolchain_run("seed", "seed", 1, 0x00, 100, true));
    store.record_run(toolchain_run("seed", "seed", 2, 0x00, 110, true));
    store.record_run(toolchain_run("seed", "seed", 3, 0x01, 120, true));
    store.record_run(toolchain_run("repeat", "repeat", 0, 0x00, 100, false));
    store.record_run(toolchain_run("repeat", "repeat", 1, 0x00, 100, false));
    store.record_run(toolchain_run("", "seed", 7, 0x00, 90, false)); // ad-hoc
    store.record_run(toolchain_run("", "seed", 8, 0x01, 91, false));
    auto lone = toolchain_run("", "seed", 9, 0x01, 80, false); // ad-hoc, nothing to compare
    lone.add_param("device", "hx8k");
    store.record_run(lone);
    store.record_run(training_run(1, 2.0f, {2, 0, 0, 2, 0, 3, 0, 1}, 0.75));
    store.record_run(training_run(2, -2.0f, {2, 0, 0, 2, 1, 0, 3, 0}, 0.75));
    auto failed = training_run(3, 0, {0, 0, 0, 0, 0, 0, 0, 0}, 0);
    failed.status = db::kStatusFailed;
    failed.message = "verilator: out of memory";
    store.record_run(failed);
    return dir;
}

} // namespace detlab::testing
