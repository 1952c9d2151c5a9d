// The icebox reader on a block RAM used as a ROM (label unit: text in, no tool): icebox_vlog
// ties the unused write port's WCLK and WCLKE to a LUT that is constant 0 (cpu8's program
// memory). That net never ticks, so it is no second clock and the write port never acts; a
// write clock on a net that does change is still a second clock, refused by name.
#include "harness/equiv/internal.h"

#include <catch2/catch.hpp>

using namespace detlab::equiv;
using namespace detlab::equiv::detail;

namespace {

// A one-RAM chip in icebox_vlog's form: RCLK on clk, WCLK and WCLKE on `write_clock`.
std::string rom_chip(const std::string& write_clock) {
    return "module chip (input clk, input clk2, input a, output q);\n"
           "wire n1, n2, n3, clk, clk2, a;\nreg q = 0;\n"
           "SB_RAM40_4K #(\n  .READ_MODE(0),\n  .WRITE_MODE(0),\n"
           "  .INIT_0(256'h000000000000000000000000000000000000000000000000000000000000abcd)\n"
           ") ram40_1_1 (\n"
           "  .WADDR({1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0}),\n"
           "  .RADDR({1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, 1'b0, a}),\n"
           "  .WE(1'b0),\n  .WCLKE(" +
           write_clock + "),\n  .WCLK(" + write_clock +
           "),\n  .RE(1'b1),\n  .RCLKE(1'b1),\n  .RCLK(clk),\n"
           "  .RDATA({open_0, open_1, open_2, open_3, open_4, open_5, open_6, open_7, open_8, "
           "open_9, open_10, open_11, open_12, open_13, open_14, n3})\n);\n"
           "assign n2 = /* LUT    1  2  1 */ 1'b0;\n"
           "/* FF  1  2  1 */ assign n1 = n2;\n"
           "/* FF  1  3  0 */ always @(posedge clk) q <= n3;\n"
           "endmodule\n";
}

} // namespace

TEST_CASE("a ROM's write clock tied to a constant LUT is no second clock") {
    auto netlist = parse_icebox_verilog(rom_chip("n1"));
    CHECK(netlist.clock == "clk");
    REQUIRE(netlist.rams.size() == 1);
    CHECK(netlist.rams[0].wclke == kConst0); // the write port never acts
    CHECK(netlist.rams[0].rclke == kConst1);
    auto constant = constant_nets(netlist);
    CHECK(constant.at(netlist.by_name.at("n1")));
    CHECK(constant.at(netlist.by_name.at("n2")));
    CHECK_FALSE(constant.at(netlist.by_name.at("n3")));
}

TEST_CASE("a RAM written on a clock that ticks is still a second clock") {
    CHECK_THROWS_WITH(parse_icebox_verilog(rom_chip("clk2")),
                      Catch::Contains("flip-flops on two clocks"));
}
