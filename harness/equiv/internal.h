// Private to harness/equiv: the native gate-level simulator. Both netlists the check meets, the
// one icebox_vlog makes from a bitstream and the one yosys's synth_ice40 makes from RTL, reduce
// to the same few iCE40 primitives: look-up functions (LUTs, carries, buffers), D flip-flops and
// 256 x 16 block RAMs. LaneSim evaluates such a netlist for 64 independent stimuli at once, one
// bit of a uint64 word per lane, cycle by cycle, from the power-up state (flip-flops 0).
#pragma once

#include "harness/equiv/equiv.h"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace detlab::equiv::detail {

// A netlist the native simulator cannot model (a latch, a negative-edge clock, a RAM mode):
// the check records "not checked" with this message, it never guesses.
struct Unsupported : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using Net = std::uint32_t;
inline constexpr Net kConst0 = 0, kConst1 = 1;

struct GateNetlist {
    struct Node { // out = table bit (in[0] + 2 in[1] + 4 in[2] ...): at most 6 inputs
        Net out = 0;
        std::vector<Net> in;
        std::uint64_t table = 0;
        bool is_lut = false; // a LUT of the design (counted in toggle coverage)
    };
    struct FlipFlop { // at the clock edge: q = reset ? reset_value : (enable ? d : q)
        Net q = 0, d = 0, enable = kConst1, reset = kConst0;
        bool reset_value = false;
    };
    // The physical 256 x 16 array of an SB_RAM40_4K (MASK bit 1 keeps a bit). Modes 1-3 (512 x 8
    // ... 2048 x 2) are logic around it, as yosys's cells_sim.v has them (add_ram, cells.cpp):
    // write and read masks from the high address bits, data bits spread and OR-reduced. A read
    // stores word & ~rmask, the mask as it was at the read edge.
    struct Ram {
        std::array<Net, 8> raddr{}, waddr{};
        std::array<Net, 16> rdata{}, wdata{}, mask{}, rmask{};
        Net we = 0, wclke = kConst1, re = 0, rclke = kConst1;
        std::array<std::uint16_t, 256> init{};
    };

    std::vector<std::string> names{"1'b0", "1'b1"}; // per net
    std::unordered_map<std::string, Net> by_name;
    std::vector<Node> nodes;
    std::vector<FlipFlop> ffs;
    std::vector<Ram> rams;
    std::vector<std::pair<std::string, Net>> inputs, outputs; // top-level ports
    std::string clock;                                        // the one clock every FF uses
    // Clock nets as the flip-flops and RAMs name them, and what drives a clock through a PLL or a
    // global buffer (the PLL's output is modelled as its reference clock: cells.cpp).
    std::vector<std::string> clock_uses;
    std::map<std::string, std::string> clock_source;

    Net net(const std::string& name); // finds or adds
    Net fresh(const std::string& hint);
    void use_clock(const std::string& name);
    // Follows clock_source back to the nets the design's clocks start from and sets `clock`;
    // more than one is Unsupported, named (`what`: the netlist's kind, for the message).
    void resolve_clock(const std::string& what);
};

// The pins of an SB_RAM40_4K as its instance connects them (11 address bits, LSB first).
struct RamPins {
    std::array<Net, 11> raddr{}, waddr{};
    std::array<Net, 16> rdata{}, wdata{}, mask{};
    Net we = kConst0, wclke = kConst1, re = kConst0, rclke = kConst1;
};
// Adds one SB_RAM40_4K in READ_MODE/WRITE_MODE 0..3 with its physical contents (256 words),
// the mode's logic built from cells_sim.v. A mode outside 0..3 is Unsupported.
void add_ram(GateNetlist& netlist, const RamPins& pins, int read_mode, int write_mode,
             const std::array<std::uint16_t, 256>& init, const std::string& cell);
// Which nets never change value (indexed by Net): the two constants and every node whose inputs
// all are such nets (a LUT tied to 0 and a buffer of it). A clock on such a net never ticks.
std::vector<bool> constant_nets(const GateNetlist& netlist);
// Why a falling-edge RAM (SB_RAM40_4KNR, ...NW, ...NRNW) is not modelled, or "" for the rest.
std::string negative_edge_ram(const std::string& type);
// An SB_PLL40_* (CORE, PAD, 2_PAD, 2F_CORE, 2F_PAD): each output it drives is the reference
// clock, so the design clock is the PLL's output, one simulated cycle per output cycle; LOCK is
// 1 (the check starts locked) and SDO 0 (docs/equivalence.md, "PLL"). `port` gives a pin's net
// (kConst0 when not connected), `param` a string parameter ("" when absent). An output whose
// PLLOUT_SELECT is not GENCLK (a halved or phase-shifted clock) is Unsupported naming the PLL.
void add_pll(GateNetlist& netlist, const std::string& cell,
             const std::function<Net(const char*)>& port,
             const std::function<std::string(const char*)>& param);

// icebox_vlog -s output (one module). Throws Unsupported for constructs outside the subset.
GateNetlist parse_icebox_verilog(std::string_view text);
// yosys write_json after synth_ice40: the module `top` (or the only one). Throws Unsupported.
GateNetlist read_yosys_json(const nlohmann::json& json, const std::string& top);

class LaneSim {
public:
    // Levelises the combinational nodes; a combinational loop throws Unsupported.
    explicit LaneSim(const GateNetlist& netlist);

    void power_up(); // FFs 0, RAMs at their INIT, RAM outputs 0
    void set(Net net, std::uint64_t lanes) {
        if (values_[net] != lanes) {
            values_[net] = lanes;
            dirty_ = true;
        }
    }
    std::uint64_t get(Net net) const { return values_[net]; }
    // One clock cycle: settle the logic with the inputs as set, then (after the caller has read
    // what it samples) edge() advances flip-flops and RAMs.
    void settle();
    void edge();

    // Toggle coverage so far: nets that took both values in some lane, of the FF outputs and of
    // the LUT outputs.
    struct Coverage {
        int ffs = 0, ffs_toggled = 0, luts = 0, luts_toggled = 0;
    };
    Coverage coverage() const;

private:
    struct Op { // every step is one branch-free mux, dst = s ? b : a (AND, OR, NOT and copies
        Net dst, a, b, s; // are muxes with the constant nets)
    };
    Net compile_table(std::uint64_t table, int inputs, const std::vector<Net>& in);
    Net scratch(); // a value slot for one node's intermediate results
    struct LastRead {
        bool valid = false;
        std::uint64_t read = 0;
        std::array<std::uint64_t, 8> raddr{};
        std::array<std::uint64_t, 16> rmask{};
        bool wrote = false;
    };

    const GateNetlist& netlist_;
    std::vector<std::uint64_t> values_;
    std::vector<Op> ops_;
    std::vector<std::uint64_t> next_q_;
    std::vector<std::vector<std::uint16_t>> memory_; // per RAM: 64 lanes x 256 words
    std::vector<LastRead> last_read_;
    std::vector<bool> pending_;
    std::vector<std::array<std::uint64_t, 16>> pending_rdata_;
    std::size_t scratch_used_ = 0, scratch_max_ = 0;
    std::vector<Net> luts_;
    // Nothing changed since the last settle (no input, no flip-flop, no RAM): the cycle would
    // repeat the last one exactly, so settle() and edge() skip it.
    bool dirty_ = true, quiet_ = false;
    std::vector<Net> tracked_; // FF outputs, then LUT outputs
    std::size_t tracked_ffs_ = 0;
    std::vector<std::uint64_t> seen0_, seen1_;
};

// The accelerator's vectors on the native simulator, one lane per vector (serial_tb.v's timing).
struct SerialLanesResult {
    std::vector<TileOutput> outputs; // per vector, in the jobs' order
    LaneSim::Coverage coverage;
    std::uint64_t cycles = 0, passes = 0; // clock cycles summed over the 64-lane passes
    double prepare_s = 0, simulate_s = 0; // levelising, simulating
};
SerialLanesResult run_serial_lanes(const GateNetlist& netlist, const accel::ArrayConfig& config,
                                   const std::vector<TileJob>& jobs);

// A READ_C response as read back; a bad status byte is reported, not thrown.
TileOutput decode_tile(const accel::ArrayConfig& config, accel::serial::Frame response);
// icebox_vlog -s -p <pcf> on the .asc (written to dir/bitstream.asc): the netlist's text.
std::string make_icebox_verilog(std::string_view asc_text, const std::filesystem::path& pcf,
                                const std::filesystem::path& dir);

} // namespace detlab::equiv::detail
