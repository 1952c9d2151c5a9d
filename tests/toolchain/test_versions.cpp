// Two real toolchains side by side (label toolchain2: needs the root that
// `scripts/setup-toolchain trixie` installs; CI installs it first). The small configuration is
// built with the host's tools and with the trixie root's, both stored with their versions, and
// `detlab compare` shows the tools study.
#include "db/store.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace detlab;

namespace {

struct Scratch {
    std::filesystem::path dir = make_temp_dir("toolchain2", DETLAB_TEST_TMP);
    ~Scratch() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

process::Result detlab_cli(std::vector<std::string> args) {
    process::Spec spec;
    spec.argv = {DETLAB_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.timeout = std::chrono::minutes(10);
    return process::run(spec);
}

const char* kToolsStudy = R"([experiment]
name = "versions"
domains = ["toolchain"]
[toolchain]
array = 2
device = "hx1k"
seed = 1
[[toolchain.vary]]
factor = "tools"
values = ["system", "trixie"]
)";

} // namespace

TEST_CASE("the small configuration built by two toolchains is stored with both versions") {
    auto installed = toolchain::installed_toolchains();
    REQUIRE(std::find(installed.begin(), installed.end(), "trixie") != installed.end());
    Scratch scratch;
    auto file = scratch.dir / "versions.toml";
    write_file(file, std::string_view(kToolsStudy));
    auto db_path = (scratch.dir / "v.db").string();
    auto run = detlab_cli({"run", file.string(), "--db", db_path, "-j", "2", "--no-progress"});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::Contains("2 done + 0 failed"));

    db::Store store(db_path);
    std::map<std::string, std::map<std::string, std::string>> by_tools;
    for (const auto& row : store.runs()) {
        std::string tools;
        for (const auto& [key, value] : store.params(row.id))
            if (key == "tools")
                tools = value;
        by_tools[tools] = store.provenance(row.id);
    }
    REQUIRE(by_tools.size() == 2);
    CHECK_THAT(by_tools["system"].at("tool.yosys"), Catch::StartsWith("Yosys 0.23"));
    CHECK_THAT(by_tools["system"].at("tool.nextpnr-ice40"), Catch::Contains("Version 0.4"));
    CHECK(by_tools["system"].at("tools.root") == "system");
    CHECK_THAT(by_tools["trixie"].at("tool.yosys"), Catch::StartsWith("Yosys 0.52"));
    CHECK_THAT(by_tools["trixie"].at("tool.nextpnr-ice40"), Catch::Contains("Version 0.7"));
    CHECK_THAT(by_tools["trixie"].at("tool.icepack"), Catch::StartsWith("fpga-icestorm 0~2025"));
    CHECK_THAT(by_tools["trixie"].at("tools.root"), Catch::EndsWith("/trixie"));
    CHECK_THAT(by_tools["trixie"].at("argv.nextpnr"),
               Catch::StartsWith("[\"bwrap\"") && Catch::Contains("\"/usr/bin/nextpnr-ice40\""));
    // Different yosys versions never share a cached netlist.
    CHECK(by_tools["system"].at("synthesis_key") != by_tools["trixie"].at("synthesis_key"));

    auto compare = detlab_cli({"compare", "--db", db_path});
    INFO(compare.err);
    REQUIRE(compare.exit_code == 0);
    CHECK_THAT(compare.out, Catch::Contains("Toolchain versions"));
    CHECK_THAT(compare.out, Catch::Contains("toolchain system (yosys 0.23; nextpnr-ice40 0.4"));
    CHECK_THAT(compare.out, Catch::Contains("toolchain trixie (yosys 0.52; nextpnr-ice40 0.7"));
    CHECK_THAT(compare.out, Catch::Contains("vs the reference: netlist "));
    // Yosys 0.23 and 0.52 map the design differently, so the two bitstreams cannot be the same.
    CHECK_THAT(compare.out, Catch::Contains(" bits differ, "));
    CHECK_THAT(compare.out, !Catch::Contains(".bin identical"));
    auto json = nlohmann::json::parse(
        detlab_cli({"compare", "--db", db_path, "--format", "json"}).out, nullptr, false);
    CHECK_FALSE(json.is_discarded()); // the versions view stays out of machine-readable output
}

TEST_CASE("a factor value one version lacks is refused before anything is stored") {
    Scratch scratch;
    auto db_path = (scratch.dir / "bad.db").string();
    // nextpnr 0.7 has the static placer, 0.4 does not.
    auto old = detlab_cli({"synth", "--placer", "static", "--db", db_path});
    CHECK(old.exit_code == 2);
    CHECK_THAT(old.err, Catch::Contains("placer: nextpnr-ice40 has no placer 'static' (it offers "
                                        "sa, heap) in toolchain 'system'"));
    auto missing = detlab_cli({"synth", "--tools", "absent-root", "--db", db_path});
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err,
               Catch::Contains("tools: toolchain root 'absent-root' is not installed") &&
                   Catch::Contains("scripts/setup-toolchain absent-root"));
    CHECK_FALSE(std::filesystem::exists(db_path));
}
