// Shared fixtures for the store tests.
#pragma once

#include "db/store.h"
#include "harness/process/process.h"
#include "tests/fresh_dir.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace detlab::test {

// A clean scratch directory per test case.
inline std::filesystem::path fresh_dir(const std::string& name) {
    return fresh_dir("db", name);
}

// A toolchain-like run whose id follows the project convention.
inline db::RunResult sample_run(const std::string& config, int repeat,
                                std::string_view artifact_text) {
    db::RunResult run;
    run.kind = "toolchain";
    run.config_json = config;
    run.repeat = repeat;
    run.id = db::run_id(run.kind, run.config_json, repeat);
    run.experiment = "unit";
    run.started_at = 1'700'000'000 + repeat;
    run.wall_seconds = 1.5;
    run.host = "testhost";
    run.add_param("seed", "1");
    run.add_metric("fmax_mhz", 100.0 + repeat);
    run.add_metric("test_loss", 2.0, 1);
    run.add_metric("test_loss", 0.5, 2);
    run.add_artifact("bitstream.bin", artifact_text);
    run.provenance["tool.yosys"] = "Yosys 0.23";
    return run;
}

// Runs the real detlab executable (no shell).
inline process::Result run_detlab(std::vector<std::string> args) {
    process::Spec spec;
    spec.argv = {DETLAB_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.timeout = std::chrono::seconds(60);
    return process::run(spec);
}

// Incompressible bytes, so zstd stores them raw and one flipped byte changes the content.
inline std::string noise(std::size_t size, std::uint32_t state) {
    std::string text(size, '\0');
    for (auto& c : text) {
        state = state * 1664525u + 1013904223u;
        c = static_cast<char>(state >> 24);
    }
    return text;
}

} // namespace detlab::test
