#include "harness/observation/observation.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <regex>

using namespace detlab;

// The FPGA tools' versions depend on the toolchain root: tests/toolchain checks them.
TEST_CASE("provenance names the simulators, the commit, the host and the environment", "[tools]") {
    ::setenv("TZ", "UTC", 1);
    ::unsetenv("SOURCE_DATE_EPOCH");
    auto provenance = observation::capture_provenance();
    CHECK_THAT(provenance.at("tool.verilator"), Catch::StartsWith("Verilator 5"));
    CHECK_THAT(provenance.at("tool.iverilog"), Catch::StartsWith("Icarus Verilog version 11"));
    CHECK_FALSE(provenance.at("tool.compiler").empty());
    // The tests run from the checkout the binary was built from.
    CHECK(std::regex_match(provenance.at("git.commit"), std::regex("[0-9a-f]{40}")));
    CHECK((provenance.at("git.dirty") == "true" || provenance.at("git.dirty") == "false"));
    CHECK_FALSE(provenance.at("host").empty());
    CHECK(std::stoi(provenance.at("cpu.cores")) > 0);
    CHECK_THAT(provenance.at("os"), Catch::Contains("Linux"));
    CHECK(provenance.at("detlab.version") == "0.1.0");
    CHECK(provenance.at("env.TZ") == "UTC");
    CHECK(provenance.at("env.SOURCE_DATE_EPOCH") == "(unset)");
    CHECK(provenance.at("env.PATH") == std::getenv("PATH"));

    // Tool versions are probed once; the environment is read on every call.
    ::setenv("TZ", "Europe/Paris", 1);
    auto again = observation::capture_provenance();
    CHECK(again.at("tool.verilator") == provenance.at("tool.verilator"));
    CHECK_FALSE(provenance.contains("tool.yosys"));
    CHECK(again.at("env.TZ") == "Europe/Paris");
}

TEST_CASE("every observation starts with a fresh id, its kind, experiment, host and start time") {
    double before = unix_time_now();
    auto first = observation::start_record(db::RunKind::train, "exp");
    auto second = observation::start_record(db::RunKind::toolchain, "");
    CHECK(std::regex_match(first.id, std::regex("[0-9a-f]{16}")));
    CHECK(first.id != second.id);
    CHECK(first.kind == "train");
    CHECK(second.kind == "toolchain");
    CHECK(first.experiment == "exp");
    CHECK(first.host == host_name());
    CHECK_FALSE(first.host.empty());
    CHECK(first.started_at >= before);
    CHECK(first.started_at <= unix_time_now());
}
