// The iCE40 payload parser against real bitstreams from yosys, nextpnr-ice40 and icepack.
#include "analysis/analysis.h"
#include "harness/process/process.h"

#include <bit>
#include <catch2/catch.hpp>
#include <sstream>

using namespace detlab;
using namespace detlab::analysis;
namespace fs = std::filesystem;

namespace {

void run_tool(const fs::path& dir, std::vector<std::string> argv) {
    process::Spec spec;
    spec.argv = std::move(argv);
    spec.cwd = dir;
    spec.timeout = std::chrono::seconds(60);
    auto result = process::run(spec);
    INFO(spec.argv[0] << ": " << result.err << result.error);
    REQUIRE(result.ok());
}

// Set configuration bits in an .asc: '1's in tile blocks plus the bits of BRAM hex data.
std::uint64_t asc_set_bits(const std::string& asc) {
    std::istringstream lines(asc);
    std::string line, section;
    std::uint64_t ones = 0;
    while (std::getline(lines, line)) {
        if (line.rfind(".", 0) == 0) {
            section = line.substr(0, line.find(' '));
            continue;
        }
        bool tile = section == ".io_tile" || section == ".logic_tile" || section == ".ramb_tile" ||
                    section == ".ramt_tile";
        for (char c : line) {
            if (tile)
                ones += c == '1';
            else if (section == ".ram_data" && std::isxdigit(static_cast<unsigned char>(c)))
                ones += static_cast<std::uint64_t>(
                    std::popcount(std::stoul(std::string(1, c), nullptr, 16)));
        }
    }
    return ones;
}

// Flips the first configuration bit of the first logic tile block in an .asc.
std::string flip_one_bit(std::string asc) {
    std::size_t tile = asc.find(".logic_tile");
    std::size_t bit = asc.find_first_of("01", asc.find('\n', tile));
    asc[bit] = asc[bit] == '0' ? '1' : '0';
    return asc;
}

} // namespace

TEST_CASE("payload of a real HX1K bitstream holds exactly the .asc configuration bits") {
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "analysis" / "tools";
    fs::remove_all(dir);
    fs::create_directories(dir);
    write_file(dir / "top.v",
               std::string_view(
                   "module top(input clk, input a, output reg [3:0] q);\n"
                   "  reg [7:0] mem [0:255]; reg [7:0] addr;\n"
                   "  always @(posedge clk) begin addr <= addr + a; q <= mem[addr][3:0] ^ q;\n"
                   "    mem[addr] <= addr; end\nendmodule\n"));
    run_tool(dir, {"yosys", "-q", "-p", "synth_ice40 -top top -json top.json", "top.v"});
    run_tool(dir, {"nextpnr-ice40", "--hx1k", "--package", "tq144", "--json", "top.json", "--asc",
                   "top.asc", "--seed", "1", "-q"});
    run_tool(dir, {"icepack", "top.asc", "top.bin"});
    Bytes bin = read_file_bytes(dir / "top.bin");
    auto payload = ice40_config_payload(bin);
    REQUIRE(payload);
    // HX1K: 4 CRAM banks of 332 x 144 bits plus 4 BRAM banks of 16384 bits.
    CHECK(payload->size() * 8 == 4 * 332 * 144 + 4 * 16384);
    std::uint64_t set = 0;
    for (auto byte : *payload)
        set += static_cast<std::uint64_t>(std::popcount(byte));
    CHECK(set == asc_set_bits(read_file_text(dir / "top.asc")));
    CHECK(set > 100);

    write_file(dir / "flipped.asc", flip_one_bit(read_file_text(dir / "top.asc")));
    run_tool(dir, {"icepack", "flipped.asc", "flipped.bin"});
    BitstreamDistance d = bitstream_distance(bin, read_file_bytes(dir / "flipped.bin"));
    CHECK(d.over == "cram+bram");
    CHECK(d.bits.differing_bits == 1);
    CHECK(d.bits.total_bits == payload->size() * 8);
}
