// Helpers shared by the experiment-file tests (test_sweep_plan.cpp, test_sweep_shards.cpp).
#pragma once

#include "fake_domains.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace detlab::sweep::testing {

inline constexpr const char* kStudies = R"([experiment]
name = "t"
domains = ["toolchain"]

[toolchain]
device = "hx1k"

[[toolchain.vary]]
factor = "seed"
values = [1, 2, 3, 4]

[[toolchain.vary]]
factor = "repeat"
count = 3
with = { threads = 2, parallel_refine = true }

[[toolchain.vary]]
factor = "placer"
values = ["heap", "sa"]
)";

inline Experiment parse(const std::string& text) {
    return parse_experiment(text, "exp.toml", fake_domains());
}

inline std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const InputError& error) {
        return error.what();
    }
    return "(no error)";
}

inline std::vector<std::string> ids_of(const std::vector<PlannedRun>& runs) {
    std::vector<std::string> ids;
    for (const auto& run : runs)
        ids.push_back(run.id);
    return ids;
}

inline std::vector<std::string> ids_of(const Experiment& experiment) {
    return ids_of(experiment.runs);
}

} // namespace detlab::sweep::testing
