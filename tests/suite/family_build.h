// What the tests of a family built in the trixie root share (test_suite_ecp5, test_suite_gowin):
// `detlab synth` into a store, the stored bytes and metrics read back, and one tool of the root
// run by hand on a scratch folder, as the build runs it.
#pragma once

#include "db/store.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace detlab::test {

// `detlab synth <device_args> --tools trixie --seed N` with a fresh synthesis and an 8-vector
// check, recorded in `db`; returns the stored run's id (from "run ID  status done ...").
inline std::string synth_in_trixie(const std::filesystem::path& db,
                                   const std::vector<std::string>& device_args, int seed,
                                   std::chrono::seconds timeout) {
    process::Spec spec;
    spec.argv = {DETLAB_BINARY, "synth"};
    spec.argv.insert(spec.argv.end(), device_args.begin(), device_args.end());
    for (const std::string& arg :
         {std::string("--tools"), std::string("trixie"), std::string("--seed"),
          std::to_string(seed), std::string("--reuse-synthesis=false"),
          std::string("--equiv-vectors"), std::string("8"), std::string("--db"), db.string()})
        spec.argv.push_back(arg);
    spec.timeout = timeout;
    auto result = process::run(spec);
    INFO(result.out << result.err << result.error);
    REQUIRE(result.exit_code == 0);
    static const std::regex first_line(R"((?:^|\n)run ([0-9a-f]+)  status done)");
    std::smatch match;
    REQUIRE(std::regex_search(result.out, match, first_line));
    return match[1];
}

inline Bytes stored(const db::Store& store, const std::string& run, const char* name) {
    auto bytes = store.artifact_bytes(run, name);
    INFO(run << ": " << name);
    REQUIRE(bytes);
    return *bytes;
}

inline std::optional<double> stored_metric(const db::Store& store, const std::string& run,
                                           const std::string& key) {
    for (const auto& metric : store.metrics(run))
        if (metric.key == key && metric.step == 0)
            return metric.value;
    return std::nullopt;
}

// `tool_argv` (a program of the trixie root and its arguments) run on the files of `dir`: the
// root read-only at /, `dir` bound on a fresh /tmp inside it and made the working directory.
inline void run_in_trixie(const std::filesystem::path& dir,
                          const std::vector<std::string>& tool_argv) {
    auto root = toolchain::toolchains_dir() / "trixie";
    process::Spec spec;
    spec.argv = {"bwrap",     "--ro-bind", root.string(), "/",        "--proc", "/proc",
                 "--dev",     "/dev",      "--tmpfs",     "/tmp",     "--bind", dir.string(),
                 "/tmp/work", "--chdir",   "/tmp/work",   "--setenv", "PATH",   "/usr/bin:/bin"};
    spec.argv.insert(spec.argv.end(), tool_argv.begin(), tool_argv.end());
    spec.timeout = std::chrono::seconds(300);
    auto result = process::run(spec);
    INFO(result.out << result.err << result.error);
    REQUIRE(result.ok());
}

} // namespace detlab::test
