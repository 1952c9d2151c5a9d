// The board top with the real tools: iverilog runs rtl/tb/serial_tb.v and protocol_tb.v
// against detlab_top, yosys + nextpnr check that the small configuration fits its part.
#include "harness/accel/accel.h"
#include "harness/process/process.h"
#include "harness/util/util.h"
#include "tests/fresh_dir.h"

#include <catch2/catch.hpp>
#include <regex>
#include <sstream>

using namespace detlab;
using namespace detlab::accel;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> rtl_sources() {
    std::vector<std::string> paths;
    std::istringstream list(read_file_text(source_root() / "rtl" / "sources.txt"));
    for (std::string line; std::getline(list, line);)
        if (!line.empty())
            paths.push_back((source_root() / "rtl" / line).string());
    return paths;
}

process::Result run_tool(std::vector<std::string> argv, const fs::path& cwd, int timeout_s) {
    process::Spec spec;
    spec.argv = std::move(argv);
    spec.cwd = cwd;
    spec.timeout = std::chrono::seconds(timeout_s);
    auto result = process::run(spec);
    INFO(spec.argv[0] << ": " << result.describe() << "\n" << result.out << result.err);
    REQUIRE(result.ok());
    return result;
}

fs::path scratch(const std::string& name) {
    return detlab::test::fresh_dir("accel", name);
}

std::vector<std::int8_t> random_values(detlab::DeterministicRng& rng, int count) {
    std::vector<std::int8_t> values(static_cast<std::size_t>(count));
    for (auto& v : values)
        v = static_cast<std::int8_t>(-128 + static_cast<int>(rng.below(256)));
    return values;
}

} // namespace

TEST_CASE("the board top computes tiles through its SPI protocol (iverilog, serial_tb.v)") {
    for (int size : {2, 4}) {
        ArrayConfig config{size, 8, 24};
        fs::path dir = scratch("serial-n" + std::to_string(size));
        detlab::DeterministicRng rng(static_cast<unsigned>(size));
        serial::Script script;
        auto golden = make_backend("golden", config);
        std::vector<std::vector<std::int32_t>> expected;
        for (int k : {1, 23, size == 2 ? 256 : 40}) {
            auto a = random_values(rng, size * k), b = random_values(rng, k * size);
            if (k == 23) { // the extremes
                std::fill(a.begin(), a.begin() + k, std::int8_t{-128});
                std::fill(b.begin(), b.end(), std::int8_t{-128});
                a[static_cast<std::size_t>(k)] = 127;
            }
            script.tile_job(config, k, a.data(), b.data());
            expected.emplace_back(static_cast<std::size_t>(size * size));
            golden->gemm(size, k, size, a.data(), b.data(), expected.back().data());
        }
        write_file(dir / "job.hex", script.text());

        std::vector<std::string> compile{"iverilog", "-DDETLAB_N=" + std::to_string(size), "-o",
                                         "tb", (source_root() / "rtl/tb/serial_tb.v").string()};
        for (auto& source : rtl_sources())
            compile.push_back(source);
        run_tool(compile, dir, 120);
        run_tool({"vvp", "-n", "tb", "+script=job.hex", "+out=miso.hex"}, dir, 300);

        auto miso = serial::parse_miso_text(read_file_text(dir / "miso.hex"));
        auto results = serial::decode_results(config, script, miso);
        INFO("N=" << size);
        CHECK(results == expected);
        // A frame's first byte is the status: N in bits 5..0, nothing run before the first job.
        CHECK(miso.front() == size);
    }
}

TEST_CASE("the board top answers protocol errors as documented and releases MISO (protocol_tb.v)") {
    // The testbench checks every answer itself and ends with $fatal on a wrong one: MISO high
    // impedance while cs_n is high (two targets share it), frames cut by cs_n, an unknown
    // opcode, READ_C before and during a run, RUN with K > KMAX.
    fs::path dir = scratch("protocol");
    std::vector<std::string> compile{"iverilog", "-o", "tb",
                                     (source_root() / "rtl/tb/protocol_tb.v").string()};
    for (auto& source : rtl_sources())
        compile.push_back(source);
    run_tool(compile, dir, 120);
    auto run = run_tool({"vvp", "-n", "tb"}, dir, 120);
    CHECK_THAT(run.out, Catch::Contains("protocol_tb: pass"));
}

namespace {

// yosys synth_ice40 of the N x N board top in `dir`; `then` follows the synth_ice40 command.
void synthesise_top(int size, const std::string& then, const fs::path& dir) {
    std::string script = "read_verilog";
    for (auto& source : rtl_sources())
        script += " " + source;
    script += "; chparam -set N " + std::to_string(size) +
              " detlab_top; synth_ice40 -top detlab_top " + then;
    run_tool({"yosys", "-q", "-p", script}, dir, 240);
}

} // namespace

TEST_CASE("yosys synth_ice40 and nextpnr fit the 2x2 board top on an HX1K") {
    fs::path dir = scratch("fit-hx1k");
    synthesise_top(2, "-json top.json", dir);
    auto pnr = run_tool({"nextpnr-ice40", "--hx1k", "--package", "tq144", "--pcf",
                         (source_root() / "rtl/pcf/hx1k.pcf").string(), "--json", "top.json",
                         "--asc", "top.asc", "--seed", "1"},
                        dir, 240);
    std::smatch match;
    std::string log = pnr.err + pnr.out;
    REQUIRE(std::regex_search(log, match, std::regex(R"(ICESTORM_LC:\s+(\d+)/\s*(\d+))")));
    CHECK(std::stoi(match[2]) == 1280);
    CHECK(std::stoi(match[1]) <= 1280);
    CHECK(fs::file_size(dir / "top.asc") > 0);
}

TEST_CASE("yosys synth_ice40 fits the 4x4 board top on an HX8K even without packing") {
    // Placing the 4x4 top takes nextpnr over a minute, so this checks yosys's cell counts
    // against the HX8K's 7680 logic cells and 32 block RAMs, counting every LUT, flip-flop and
    // carry as if each needed its own logic cell (nextpnr packs them to about 4100).
    fs::path dir = scratch("fit-hx8k");
    synthesise_top(4, "; tee -q -o stat.txt stat", dir);
    std::istringstream stat(detlab::read_file_text(dir / "stat.txt"));
    long logic = 0, luts = 0, rams = 0;
    std::regex cell_row(R"(^\s+(SB_\w+)\s+(\d+)\s*$)");
    for (std::string line; std::getline(stat, line);) {
        std::smatch match;
        if (!std::regex_match(line, match, cell_row))
            continue;
        std::string type = match[1];
        long count = std::stol(match[2]);
        if (type == "SB_LUT4")
            luts = count;
        if (type == "SB_RAM40_4K")
            rams = count;
        if (type == "SB_LUT4" || type == "SB_CARRY" || type.rfind("SB_DFF", 0) == 0)
            logic += count;
    }
    INFO(detlab::read_file_text(dir / "stat.txt"));
    CHECK(luts > 1000); // the 16 multipliers alone need more: the parse found the table
    CHECK(logic <= 7680);
    CHECK(rams >= 2);
    CHECK(rams <= 32);
}

TEST_CASE("the structural multiplier equals a signed multiply for all 8-bit operand pairs") {
    // The Verilated model uses the behavioural form (DETLAB_BEHAVIOURAL_MULTIPLIER); this is
    // what makes it stand for the structural form that yosys synthesises.
    fs::path dir = scratch("multiplier");
    run_tool({"iverilog", "-o", "mtb", (source_root() / "rtl/tb/multiplier_tb.v").string(),
              (source_root() / "rtl/signed_multiplier.v").string()},
             dir, 60);
    auto result = run_tool({"vvp", "-n", "mtb"}, dir, 120);
    CHECK(result.out.find("errors 0") != std::string::npos);
}

TEST_CASE("a failing testbench exits non-zero") {
    // A multiplier that is off by one for one operand pair: multiplier_tb must fail through
    // $fatal (a $finish after its error count would exit 0 and pass any caller's check).
    fs::path dir = scratch("failing-testbench");
    write_file(dir / "wrong_multiplier.v",
               std::string_view("module signed_multiplier #(parameter W = 8, parameter PW = 16) (\n"
                                "    input [W-1:0] a, input [W-1:0] b, output [PW-1:0] product);\n"
                                "    wire signed [PW-1:0] exact = $signed(a) * $signed(b);\n"
                                "    assign product = exact + (a == 3 && b == 5);\n"
                                "endmodule\n"));
    process::Spec compile;
    compile.cwd = dir;
    compile.argv = {"iverilog", "-o", "mtb", (source_root() / "rtl/tb/multiplier_tb.v").string(),
                    "wrong_multiplier.v"};
    REQUIRE(process::run(compile).ok());
    process::Spec simulate;
    simulate.cwd = dir;
    simulate.argv = {"vvp", "-n", "mtb"};
    auto result = process::run(simulate);
    INFO(result.out << result.err);
    CHECK(result.outcome == process::Result::Outcome::exited);
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.out + result.err, Catch::Contains("products differ"));

    // serial_tb: no script, an unreadable one and a word it does not know all fail.
    compile.argv = {"iverilog", "-DDETLAB_N=2", "-o", "tb",
                    (source_root() / "rtl/tb/serial_tb.v").string()};
    for (const auto& source : rtl_sources())
        compile.argv.push_back(source);
    REQUIRE(process::run(compile).ok());
    write_file(dir / "bad.hex", std::string_view("2abc\nffff\n"));
    for (std::vector<std::string> args : {std::vector<std::string>{},
                                          {"+script=missing.hex", "+out=out.hex"},
                                          {"+script=bad.hex", "+out=out.hex"}}) {
        simulate.argv = {"vvp", "-n", "tb"};
        simulate.argv.insert(simulate.argv.end(), args.begin(), args.end());
        auto run = process::run(simulate);
        INFO(join(simulate.argv) << ": " << run.out << run.err);
        CHECK(run.outcome == process::Result::Outcome::exited);
        CHECK(run.exit_code != 0);
        CHECK_THAT(run.out + run.err, Catch::Contains("serial_tb: "));
    }
}
