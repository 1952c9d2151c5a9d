// `detlab bench accel` through the real executable: rounds, fixed GEMM counts, targets, errors.
#include "harness/process/process.h"

#include <catch2/catch.hpp>
#include <sstream>

using namespace detlab;

namespace {

process::Result run_detlab(std::vector<std::string> args) {
    process::Spec spec;
    spec.argv = {DETLAB_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.timeout = std::chrono::seconds(120);
    return process::run(spec);
}

// The whitespace-separated fields of the first output line starting with `prefix`.
std::vector<std::string> row_fields(const std::string& out, const std::string& prefix) {
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) != 0)
            continue;
        std::istringstream words(line);
        std::vector<std::string> fields;
        for (std::string w; words >> w;)
            fields.push_back(w);
        return fields;
    }
    return {};
}

} // namespace

TEST_CASE("bench accel runs the asked rounds of a fixed GEMM count and judges the targets") {
    auto r = run_detlab(
        {"bench", "accel", "--m", "16", "--k", "16", "--n", "16", "--gemms", "2", "--rounds", "3"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("3 round(s) of 2 GEMMs per row") != std::string::npos);
    for (const char* prefix : {"rtl       4x4", "rtl       2x2", "golden    4x4"}) {
        auto fields = row_fields(r.out, prefix);
        REQUIRE(fields.size() >= 4);
        CHECK(fields[2] == "2"); // GEMMs in the median round
    }
    // 16x16x16 on 4x4: 16 tiles of 16 slices + 7 cycles, 4096 MACs, 4096 / (263 * 16).
    CHECK(row_fields(r.out, "rtl       4x4").at(8) == "97.34%");
    CHECK(r.out.find("targets, 4x4 core: utilisation 97.34% (>= 90%: met)") != std::string::npos);
    CHECK(r.out.find("load average (1 min)") != std::string::npos);
}

TEST_CASE("bench accel rejects a round count below one with exit code 2") {
    auto r = run_detlab({"bench", "accel", "--rounds", "0"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--rounds") != std::string::npos);
}
