#include "db/store.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <regex>

using namespace detlab;

TEST_CASE("provenance names the tools, the commit, the host and the environment", "[tools]") {
    ::setenv("TZ", "UTC", 1);
    ::unsetenv("SOURCE_DATE_EPOCH");
    auto provenance = db::capture_provenance();
    CHECK_THAT(provenance.at("tool.yosys"), Catch::StartsWith("Yosys 0."));
    CHECK_THAT(provenance.at("tool.nextpnr-ice40"), Catch::Contains("nextpnr-ice40"));
    CHECK_THAT(provenance.at("tool.icepack"), Catch::StartsWith("fpga-icestorm "));
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
    auto again = db::capture_provenance();
    CHECK(again.at("tool.yosys") == provenance.at("tool.yosys"));
    CHECK(again.at("env.TZ") == "Europe/Paris");
}
