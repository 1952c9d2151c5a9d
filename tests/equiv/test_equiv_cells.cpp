// The native simulator's block RAM against yosys's own cell model: one SB_RAM40_4K per mode
// (256x16, 512x8, 1024x4, 2048x2) with random contents, driven cycle by cycle with the same
// random writes and reads (addresses crowded on a few words, so reads meet writes), simulated
// as the native simulator builds it (harness/equiv/cells.cpp) and by iverilog on
// /usr/share/yosys/ice40/cells_sim.v; RDATA must agree in every cycle.
#include "harness/equiv/internal.h"
#include "harness/process/process.h"
#include "harness/util/util.h"
#include "tests/equiv/scratch.h"
#include "tests/skip.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <sstream>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

const fs::path kCellsSim = "/usr/share/yosys/ice40/cells_sim.v";
constexpr int kCycles = 1500;

struct Step {
    unsigned raddr = 0, waddr = 0, wdata = 0, mask = 0;
    bool we = false, re = false;
};

// A yosys write_json module: inputs raddr[11] waddr[11] wdata[16] mask[16] we re clk, output
// rdata[16], nets numbered in that order from 2; one SB_RAM40_4K on them.
nlohmann::json ram_module(int mode, const std::vector<std::string>& init) {
    int next = 2;
    auto bits = [&](int width) {
        nlohmann::json list = nlohmann::json::array();
        for (int i = 0; i < width; ++i)
            list.push_back(next++);
        return list;
    };
    nlohmann::json ports, connections;
    for (const auto& [name, width, input] :
         std::vector<std::tuple<std::string, int, bool>>{{"RADDR", 11, true},
                                                         {"WADDR", 11, true},
                                                         {"WDATA", 16, true},
                                                         {"MASK", 16, true},
                                                         {"WE", 1, true},
                                                         {"RE", 1, true},
                                                         {"clk", 1, true},
                                                         {"RDATA", 16, false}}) {
        auto list = bits(width);
        ports[name] = {{"direction", input ? "input" : "output"}, {"bits", list}};
        connections[name == "clk" ? "RCLK" : name] = list;
        if (name == "clk")
            connections["WCLK"] = list;
    }
    nlohmann::json params = {{"READ_MODE", mode}, {"WRITE_MODE", mode}};
    for (int i = 0; i < 16; ++i) {
        char name[8];
        std::snprintf(name, sizeof name, "INIT_%X", i);
        params[name] = init[static_cast<std::size_t>(i)];
    }
    nlohmann::json cell = {
        {"type", "SB_RAM40_4K"}, {"parameters", params}, {"connections", connections}};
    return {{"modules", {{"top", {{"ports", ports}, {"cells", {{"ram", cell}}}}}}}};
}

std::vector<unsigned> native_trace(const nlohmann::json& json, const std::vector<Step>& steps) {
    auto netlist = equiv::detail::read_yosys_json(json, "top");
    equiv::detail::LaneSim sim(netlist);
    auto input = [&](const std::string& name) {
        for (const auto& [port, net] : netlist.inputs)
            if (port == name)
                return net;
        FAIL("no input " << name);
        return equiv::detail::Net{};
    };
    auto set_bus = [&](const char* name, unsigned value, int width) {
        for (int i = 0; i < width; ++i)
            sim.set(input(std::string(name) + "[" + std::to_string(i) + "]"),
                    (value >> i) & 1U ? ~std::uint64_t{0} : 0);
    };
    std::vector<unsigned> trace;
    for (const auto& step : steps) {
        set_bus("RADDR", step.raddr, 11);
        set_bus("WADDR", step.waddr, 11);
        set_bus("WDATA", step.wdata, 16);
        set_bus("MASK", step.mask, 16);
        sim.set(input("WE"), step.we ? ~std::uint64_t{0} : 0);
        sim.set(input("RE"), step.re ? ~std::uint64_t{0} : 0);
        sim.settle();
        unsigned word = 0;
        for (const auto& [port, net] : netlist.outputs) {
            int bit = std::stoi(port.substr(port.find('[') + 1));
            word |= static_cast<unsigned>(sim.get(net) & 1U) << bit;
        }
        trace.push_back(word);
        sim.edge();
    }
    return trace;
}

// The same steps under iverilog on cells_sim.v: inputs set after each rising edge, RDATA
// sampled just before the next, as the native simulator's settle()/edge() cycle.
std::vector<std::string> reference_trace(const fs::path& dir, int mode,
                                         const std::vector<std::string>& init,
                                         const std::vector<Step>& steps) {
    std::ostringstream tb;
    tb << "`timescale 1ns/1ps\nmodule tb;\nreg clk = 0; reg [10:0] ra, wa; reg [15:0] wd, m;\n"
       << "reg we, re; wire [15:0] rd;\nSB_RAM40_4K #(.READ_MODE(" << mode << "), .WRITE_MODE("
       << mode << ")";
    for (int i = 0; i < 16; ++i)
        tb << ", .INIT_"
           << "0123456789ABCDEF"[i] << "(256'b" << init[static_cast<std::size_t>(i)] << ")";
    tb << ") ram (.RDATA(rd), .RCLK(clk), .RCLKE(1'b1), .RE(re), .RADDR(ra), .WCLK(clk), "
       << ".WCLKE(1'b1), .WE(we), .WADDR(wa), .MASK(m), .WDATA(wd));\ninitial begin\n";
    for (const auto& s : steps)
        tb << "  ra = " << s.raddr << "; wa = " << s.waddr << "; wd = " << s.wdata
           << "; m = " << s.mask << "; we = " << s.we << "; re = " << s.re
           << "; #4 $display(\"%h\", rd); #1 clk = 1; #5 clk = 0;\n";
    tb << "  $finish;\nend\nendmodule\n";
    // The model itself, with the file's preamble (its default-assignment macros): iverilog
    // does not take the whole library (other cells use syntax it refuses).
    std::string library = read_file_text(kCellsSim);
    std::size_t start = library.find("module SB_RAM40_4K (");
    REQUIRE(start != std::string::npos);
    std::size_t end = library.find("endmodule", start);
    REQUIRE(end != std::string::npos);
    write_file(dir / "ram.v", library.substr(0, library.find("module ")) +
                                  library.substr(start, end + 9 - start) + "\n");
    write_file(dir / "tb.v", tb.str());
    process::Spec compile;
    compile.argv = {"iverilog",
                    "-g2012",
                    "-DICE40_HX",
                    "-DNO_ICE40_DEFAULT_ASSIGNMENTS",
                    "-o",
                    (dir / "sim").string(),
                    (dir / "tb.v").string(),
                    (dir / "ram.v").string()};
    auto compiled = process::run(compile);
    INFO(compiled.err);
    REQUIRE(compiled.ok());
    process::Spec run;
    run.argv = {"vvp", "-n", (dir / "sim").string()};
    auto ran = process::run(run);
    REQUIRE(ran.ok());
    std::vector<std::string> lines;
    std::istringstream out(ran.out);
    for (std::string line; std::getline(out, line);)
        if (line.size() == 4)
            lines.push_back(line);
    return lines;
}

} // namespace

TEST_CASE("every SB_RAM40_4K mode simulates as yosys's cells_sim.v does") {
    if (!fs::exists(kCellsSim))
        detlab_skip("no " + kCellsSim.string() + " (Debian package yosys)");
    Scratch scratch("equiv-cells");
    DeterministicRng rng(31);
    auto random = [&rng] {
        return rng.next();
    };
    for (int mode = 0; mode < 4; ++mode) {
        std::vector<std::string> init;
        for (int i = 0; i < 16; ++i) {
            std::string bits;
            for (int b = 0; b < 256; ++b)
                bits += random() & 1U ? '1' : '0';
            init.push_back(bits);
        }
        std::vector<Step> steps(kCycles);
        for (int t = 0; t < kCycles; ++t) {
            auto& s = steps[static_cast<std::size_t>(t)];
            // Low address bits on 4 words, every high bit random: reads meet earlier writes.
            s.raddr = static_cast<unsigned>((random() & 3U) | ((random() & 7U) << 8));
            s.waddr = static_cast<unsigned>((random() & 3U) | ((random() & 7U) << 8));
            s.wdata = static_cast<unsigned>(random() & 0xFFFFU);
            s.mask = static_cast<unsigned>(random() & 0xFFFFU);
            s.we = random() & 1U;
            s.re = t == 0 || (random() & 1U); // the first read makes RDATA defined
        }
        auto native = native_trace(ram_module(mode, init), steps);
        auto reference = reference_trace(scratch.dir, mode, init, steps);
        REQUIRE(reference.size() == steps.size());
        int compared = 0, differ = 0;
        for (std::size_t t = 1; t < steps.size(); ++t) { // cycle 0: RDATA not read yet (x)
            char word[8];
            std::snprintf(word, sizeof word, "%04x", native[t]);
            ++compared;
            if (reference[t] != word) {
                ++differ;
                UNSCOPED_INFO("mode " << mode << " cycle " << t << ": native " << word
                                      << ", cells_sim.v " << reference[t]);
            }
        }
        INFO("mode " << mode);
        CHECK(compared == kCycles - 1);
        CHECK(differ == 0);
    }
}
