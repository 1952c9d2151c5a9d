#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <sstream>

using namespace detlab;

namespace {

const char* kModule = R"(// reg hidden_in_comment;
module child (input wire clk, input wire [7:0] data, output reg [7:0] count);
    reg [7:0] state = 8'hab;
    wire enable, other = 1'b1;
    integer i;
    initial $display("state");
    always @(posedge clk) begin
        state <= data + 8'd1;
        count <= state;
    end
endmodule

module parent (input wire clk, output wire [7:0] out);
    wire [7:0] state;
    child link (.clk(clk), .data(state), .count(out));
    generate if (1) begin : g
        wire inner;
    end endgenerate
    assign state = {7'd0, g.inner};
endmodule
)";

std::string renamed(const std::string& name) {
    std::string text = "n";
    text.append(sha256_hex(std::string_view(name)), 0, 6);
    return text.append("_").append(name);
}

} // namespace

TEST_CASE("rtl_rename renames internal signals only") {
    std::string out = toolchain::rename_internal_signals(kModule);
    std::string state = renamed("state");
    CHECK(out.find("reg [7:0] " + state + " = 8'hab;") != std::string::npos);
    CHECK(out.find(state + " <= data + 8'd1;") != std::string::npos);
    CHECK(out.find("count <= " + state + ";") != std::string::npos);
    CHECK(out.find("wire " + renamed("enable") + ", " + renamed("other") + " = 1'b1;") !=
          std::string::npos);
    CHECK(out.find("integer " + renamed("i") + ";") != std::string::npos);
    CHECK(out.find("g." + renamed("inner") + "}") != std::string::npos);
    // Ports, comments, strings, numbers and named port connections stay as they were.
    CHECK(out.find("// reg hidden_in_comment;") != std::string::npos);
    CHECK(out.find("$display(\"state\")") != std::string::npos);
    CHECK(out.find("output reg [7:0] count);") != std::string::npos);
    CHECK(out.find("child link (.clk(clk), .data(" + state + "), .count(out));") !=
          std::string::npos);
    // The same text always gives the same result, and the edit is not a no-op.
    CHECK(out == toolchain::rename_internal_signals(kModule));
    CHECK(out != kModule);
}

TEST_CASE("rtl_dead_logic goes into the top module only") {
    auto kept = toolchain::add_dead_logic(kModule, "parent", true);
    REQUIRE(kept);
    auto at = kept->find("(* keep *) reg [7:0] detlab_dead_count");
    REQUIRE(at != std::string::npos);
    CHECK(at > kept->find("module parent"));
    CHECK(kept->find("endmodule", at) != std::string::npos);
    auto removable = toolchain::add_dead_logic(kModule, "parent", false);
    REQUIRE(removable);
    CHECK(removable->find("(* keep *)") == std::string::npos);
    CHECK(removable->find("detlab_dead_count") != std::string::npos);
    CHECK_FALSE(toolchain::add_dead_logic(kModule, "detlab_top", true));
}

TEST_CASE("configuration keys have a valid baseline and reject bad values") {
    auto config = default_config(toolchain::config_keys());
    CHECK(config["array"] == 2);
    CHECK(config["device"] == "hx1k");
    CHECK(config["placer"] == "heap");
    CHECK(config["router"] == "router1");
    CHECK(config["threads"] == 1);
    CHECK(config["reuse_synthesis"] == true);
    for (const auto& spec : toolchain::config_keys())
        CHECK(check_value(spec, spec.default_value).empty());
    CHECK_THROWS_AS(complete_config(toolchain::config_keys(), {{"placer", "annealing"}}, "x"),
                    InputError);
    CHECK_THROWS_WITH(toolchain::run_build({{"sed", 1}}, 0, {}),
                      Catch::Contains("sed: unknown key"));
    CHECK_THROWS_WITH(toolchain::run_build({{"build_path", "../escape"}}, 0, {}),
                      Catch::Contains("build_path"));
    CHECK_THROWS_WITH(toolchain::run_build({{"rtl_dir", "/nonexistent"}}, 0, {}),
                      Catch::Contains("sources.txt"));
}

namespace {
// Elaborates `files` (name -> text) in yosys and returns its log.
process::Result elaborate(const std::vector<std::pair<std::string, std::string>>& files,
                          const std::filesystem::path& dir) {
    std::string script;
    for (const auto& [name, text] : files) {
        write_file(dir / name, text);
        script += "read_verilog " + (dir / name).string() + "; ";
    }
    process::Spec spec;
    spec.argv = {"yosys", "-p", script + "hierarchy -check -top detlab_top; proc"};
    return process::run(spec);
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}
} // namespace

TEST_CASE("edited copies of the real RTL elaborate with no new implicit wires", "[tools]") {
    auto rtl = source_root() / "rtl";
    std::istringstream list(read_file_text(rtl / "sources.txt"));
    std::vector<std::pair<std::string, std::string>> original, edited;
    std::string line;
    while (std::getline(list, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        std::string text = read_file_text(rtl / line);
        original.emplace_back(line, text);
        std::string renamed = toolchain::rename_internal_signals(text);
        if (auto with_dead = toolchain::add_dead_logic(renamed, "detlab_top", true))
            renamed = *with_dead;
        edited.emplace_back(line, renamed);
    }
    auto dir = make_temp_dir("rtl-edit", DETLAB_TEST_TMP);
    std::filesystem::create_directories(dir / "a");
    std::filesystem::create_directories(dir / "b");
    auto before = elaborate(original, dir / "a");
    auto after = elaborate(edited, dir / "b");
    INFO(after.out + after.err);
    REQUIRE(after.ok());
    // A missed use of a renamed signal would become an implicitly declared wire.
    CHECK(count(after.out, "implicitly declared") == count(before.out, "implicitly declared"));
    CHECK(count(after.out, "out of bounds") == count(before.out, "out of bounds"));
    std::filesystem::remove_all(dir);
}

namespace {
// Points DETLAB_TOOLCHAINS at `dir` for one test case.
struct ToolchainsDir {
    explicit ToolchainsDir(const std::filesystem::path& dir) {
        const char* old = std::getenv("DETLAB_TOOLCHAINS");
        saved = old ? std::optional<std::string>(old) : std::nullopt;
        ::setenv("DETLAB_TOOLCHAINS", dir.c_str(), 1);
    }
    ~ToolchainsDir() {
        if (saved)
            ::setenv("DETLAB_TOOLCHAINS", saved->c_str(), 1);
        else
            ::unsetenv("DETLAB_TOOLCHAINS");
    }
    std::optional<std::string> saved;
};
} // namespace

TEST_CASE("the tools key accepts system and installed roots only, and keeps the identity") {
    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / "toolchains";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "complete");
    write_file(dir / "complete" / ".detlab-toolchain", "packages: yosys\n");
    std::filesystem::create_directories(dir / "half-made"); // no marker: an interrupted install
    ToolchainsDir scope(dir);
    CHECK(toolchain::toolchains_dir() == dir);
    CHECK(toolchain::installed_toolchains() == std::vector<std::string>{"complete"});

    const auto& keys = toolchain::config_keys();
    auto spec =
        std::find_if(keys.begin(), keys.end(), [](const KeySpec& k) { return k.name == "tools"; });
    REQUIRE(spec != keys.end());
    CHECK(spec->default_value == "system");
    CHECK(spec->factor);
    CHECK(spec->omit_at_default); // stored configuration ids stay as they were
    auto baseline = default_config(keys);
    CHECK_FALSE(identity_config(keys, baseline).contains("tools"));
    auto other = baseline;
    other["tools"] = "complete";
    CHECK(identity_config(keys, other)["tools"] == "complete");

    toolchain::validate_config(baseline);
    for (std::string name : {"half-made", "absent", "../complete", "Complete"}) {
        auto config = baseline;
        config["tools"] = name;
        CHECK_THROWS_AS(toolchain::validate_config(config), UnavailableError);
        CHECK_THROWS_WITH(toolchain::validate_config(config),
                          Catch::StartsWith("config: tools: toolchain root '" + name +
                                            "' is not installed in " + dir.string()) &&
                              Catch::Contains("installed: system, complete") &&
                              Catch::Contains("scripts/setup-toolchain"));
    }
    auto absent = baseline;
    absent["tools"] = "absent";
    CHECK_THROWS_WITH(toolchain::validate_config(absent),
                      Catch::EndsWith("install it with scripts/setup-toolchain absent"));
}

TEST_CASE("with no nextpnr on PATH the option check leaves the failure to the tool's own stage",
          "[tools]") {
    // Before the fix the probe's empty help still looked like a help text lacking --threads, so
    // the check said "nextpnr-ice40 has no --threads" for a tool that is not installed. The
    // option check is the preflight's (check_design): validate_config runs no tool at all.
    const char* path = std::getenv("PATH");
    std::string saved = path ? path : "";
    auto empty = std::filesystem::path(DETLAB_TEST_TMP) / "empty-path";
    std::filesystem::create_directories(empty);
    ::setenv("PATH", empty.c_str(), 1);
    auto config = default_config(toolchain::config_keys());
    CHECK_NOTHROW(toolchain::validate_config(config));
    // The next check that needs a tool is yosys's parse of the design, and it says so.
    CHECK_THROWS_WITH(toolchain::check_design(config),
                      Catch::Contains("yosys cannot elaborate") &&
                          !Catch::Contains("nextpnr-ice40 has no"));
    ::setenv("PATH", saved.c_str(), 1);
}
